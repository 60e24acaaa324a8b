import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.ts';
import type { Logger } from './logger.ts';

export type Mail = { to: string; subject: string; text: string };
export type Mailer = { send(mail: Mail): Promise<void> };

// One transport per configuration: nodemailer opens a connection per message (no pool), so there
// is nothing to close when a hub stops, and tests with their own SMTP servers do not share one.
const transports = new WeakMap<Config, Transporter>();

/** Sends through SMTP_URL; null when it is not set, so callers must say what is unavailable. */
export function mailerFor(config: Config, log: Logger): Mailer | null {
  const smtp = config.smtp;
  if (!smtp) return null;
  let transport = transports.get(config);
  if (!transport) {
    transport = nodemailer.createTransport(smtp.url);
    transports.set(config, transport);
  }
  const t = transport;
  return {
    async send(mail) {
      await t.sendMail({ from: smtp.from, to: mail.to, subject: mail.subject, text: mail.text });
      log.info({ subject: mail.subject }, 'mail sent');
    },
  };
}
