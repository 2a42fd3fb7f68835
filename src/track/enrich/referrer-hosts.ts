/**
 * Referrer hosts by channel. An entry matches the host itself and its subdomains; a trailing ".*" stands for any
 * country TLD ("google.*" matches google.com, www.google.co.uk, google.de). Email is checked before search and
 * social because webmail lives on search and portal domains (mail.google.com, mail.yahoo.com).
 */

export const EMAIL_HOSTS: readonly string[] = [
  'mail.google.com', 'inbox.google.com', 'com.google.android.gm', 'outlook.live.com', 'outlook.office.com',
  'outlook.office365.com', 'mail.yahoo.com', 'mail.aol.com', 'mail.proton.me', 'mail.protonmail.com',
  'mail.yandex.*', 'mail.zoho.com', 'mail.zoho.eu', 'navigator-lxa.mail.com', 'mail.gmx.net', 'web.de',
  'mail.ru', 'fastmail.com', 'app.hey.com', 'email.t-online.de', 'icloud.com',
];

export const SEARCH_HOSTS: readonly string[] = [
  'google.*', 'com.google.android.googlequicksearchbox', 'bing.com', 'duckduckgo.com', 'search.yahoo.com',
  'yahoo.co.jp', 'baidu.com', 'yandex.*', 'ya.ru', 'ecosia.org', 'search.brave.com', 'startpage.com', 'qwant.com',
  'kagi.com', 'naver.com', 'seznam.cz', 'sogou.com', 'so.com', 'daum.net', 'search.aol.com', 'ask.com', 'mojeek.com',
];

export const SOCIAL_HOSTS: readonly string[] = [
  'facebook.com', 'fb.me', 'messenger.com', 't.co', 'twitter.com', 'x.com', 'linkedin.com', 'lnkd.in',
  'reddit.com', 'redd.it', 'instagram.com', 'youtube.com', 'youtu.be', 'tiktok.com', 'pinterest.*', 'pin.it',
  'threads.net', 'bsky.app', 'vk.com', 'weibo.com', 'news.ycombinator.com', 'quora.com', 'tumblr.com',
  'snapchat.com', 'discord.com', 't.me', 'web.telegram.org', 'whatsapp.com', 'wa.me', 'xing.com',
];

/** Compiles a host list into one anchored regular expression. */
export function hostPattern(hosts: readonly string[]): RegExp {
  const alternatives = hosts.map((host) => {
    const anyTld = host.endsWith('.*');
    const base = (anyTld ? host.slice(0, -2) : host).replace(/\./g, '\\.');
    return anyTld ? `${base}\\.(?:com?\\.)?[a-z]{2,3}` : base;
  });
  return new RegExp(`(?:^|\\.)(?:${alternatives.join('|')})$`);
}
