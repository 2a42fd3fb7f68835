import { pino, type Logger, type LevelWithSilent } from 'pino';
import { scrubSecrets } from '../config/secrets.js';

/**
 * Structured JSON logs. Secrets are redacted wherever they could appear: by field (the paths below), and every
 * value the config took from the environment (`${NAME}`) is scrubbed from each line as written, wherever it
 * appears (an error message quoting a connection URL, a driver's stack).
 */
export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'gatehouse' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.secret',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: scrubSecrets },
    },
    destination,
  );
}
