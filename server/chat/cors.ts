import type { Request, Response } from 'express';
import { AppError } from '../core/errors.ts';
import type { ChatbotSettings } from '../db/schema.ts';
import { originAllowed } from './chatbot-settings.ts';

export const originNotAllowed = (origin: string) =>
  new AppError(403, 'ORIGIN_NOT_ALLOWED', `This chatbot does not answer pages on ${origin}; add the origin to its allowed_origins.`, [
    { path: 'headers.origin', message: 'not in allowed_origins' },
  ]);

/**
 * The public chat answers a browser only on the chatbot's allowed origins. A request without an
 * Origin (a server, curl) is not a browser's cross-site request and passes; one from an origin not
 * allowed is refused before anything is done, and without CORS headers.
 */
export function allowOrigin(req: Request, res: Response, settings: ChatbotSettings): void {
  const origin = req.get('origin');
  if (origin === undefined) return;
  if (!originAllowed(settings, origin)) throw originNotAllowed(origin);
  setCorsHeaders(res, origin);
}

export function setCorsHeaders(res: Response, origin: string): void {
  res.set('Access-Control-Allow-Origin', origin);
  res.set('Access-Control-Expose-Headers', 'Retry-After');
  res.vary('Origin');
}

/** Answers an OPTIONS preflight for these settings (or 403 ORIGIN_NOT_ALLOWED). */
export function answerPreflight(req: Request, res: Response, allowed: boolean): void {
  const origin = req.get('origin');
  if (!origin || !allowed) throw originNotAllowed(origin ?? '(no origin)');
  setCorsHeaders(res, origin);
  res.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.set('Access-Control-Allow-Headers', 'Content-Type');
  res.set('Access-Control-Max-Age', '600');
  res.status(204).end();
}
