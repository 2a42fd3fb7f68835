/**
 * User-agent patterns per kind of non-human client. Checked in the order of BOT_RULES: a mail proxy or a link
 * scanner also matches generic crawler lists, and its kind matters more (an opened email fetched by a proxy is
 * still an open; a scanner's click is not a click).
 */

export type BotKind = 'crawler' | 'ai' | 'mail-privacy' | 'image-proxy' | 'scanner' | 'automation';

/** Mail clients that fetch images on the reader's behalf (Gmail, Yahoo) or prefetch links (Office "ms-office"). */
const IMAGE_PROXY = /GoogleImageProxy|YahooMailProxy|\bms-office\b|Microsoft Office Existence Discovery|OutlookImageProxy/i;

/** Email security gateways that follow every link in incoming mail before a person sees it. */
const SCANNER =
  /Barracuda|Proofpoint|Mimecast|SafeLinks|Microsoft Defender|Trend ?Micro|IronPort|Forcepoint|Symantec|MessageLabs|Sophos|FortiGuard|Zscaler|Cloudmark|Check ?Point|urldefense/i;

/**
 * Crawlers that collect training data or answer questions for AI products. Some names (Google-Extended,
 * Applebot-Extended) are robots.txt tokens more than UA strings; listing them costs nothing.
 */
const AI =
  /GPTBot|ChatGPT-User|OAI-SearchBot|ClaudeBot|Claude-Web|Claude-User|Claude-SearchBot|anthropic-ai|PerplexityBot|Perplexity-User|Google-Extended|GoogleOther|CCBot|Bytespider|Amazonbot|Applebot-Extended|meta-externalagent|meta-externalfetcher|FacebookBot|cohere-ai|cohere-training-data-crawler|Diffbot|YouBot|AI2Bot|Ai2Bot-Dolma|MistralAI-User|DuckAssistBot|Timpibot|ImagesiftBot|omgili|PanguBot|Kangaroo Bot|Webzio-Extended/i;

/** Headless browsers and HTTP libraries: scripted clients, whatever they claim to be. */
const AUTOMATION =
  /HeadlessChrome|Chrome Headless|Puppeteer|PhantomJS|Playwright|Selenium|webdriver|\bcurl\/|\bWget\/|python-requests|python-urllib|aiohttp|httpx|Go-http-client|node-fetch|undici|axios\/|okhttp|libwww-perl|Java\/|Apache-HttpClient|Scrapy/i;

export const BOT_RULES: readonly (readonly [BotKind, RegExp])[] = [
  ['image-proxy', IMAGE_PROXY],
  ['scanner', SCANNER],
  ['ai', AI],
  ['automation', AUTOMATION],
];

/**
 * Apple Mail Privacy Protection fetches remote content with the bare user agent "Mozilla/5.0", which no real
 * browser sends, so the exact string is a reliable mark.
 */
export const MAIL_PRIVACY_UA = /^Mozilla\/5\.0$/;
