import type { Agenda } from 'agenda';
import { mailerFor } from '../core/mailer.ts';
import type { Deps } from '../deps.ts';
import { alertMailsService } from '../gateway/alert-mails.service.ts';

const ALERT_MAIL_JOB = 'alert-mails';

/**
 * Every `config.alertMailEveryMs`, one worker (Agenda's lock) mails the owners of teams whose
 * destination was disabled or whose bulk retry ended with failures (alert-mails.service.ts).
 * Without SMTP_URL nothing is scheduled: the marks wait, and a day later are too old to mail.
 */
export async function scheduleAlertMails(deps: Deps, agenda: Agenda): Promise<void> {
  const mailer = mailerFor(deps.config, deps.log);
  // Not cancelled when off: another worker, configured with SMTP, may be the one running it.
  if (!mailer) return;
  const alerts = alertMailsService(deps, mailer);
  agenda.define(
    ALERT_MAIL_JOB,
    async () => {
      await alerts.sweep();
    },
    { concurrency: 1, lockLifetime: 5 * 60_000 },
  );
  await agenda.every(deps.config.alertMailEveryMs, ALERT_MAIL_JOB);
}
