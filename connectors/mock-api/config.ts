import { z } from 'zod';

export const MOCK_API_TYPE = 'MOCK_API';
export const MAX_RESPONSE_DELAY_MS = 10_000;

export const MockApiConfigSchema = z
  .object({
    // Seed 002: a MOCK_API destination has `config.path` where an HTTP one has `config.url`.
    path: z
      .string()
      .max(1024)
      .regex(/^\/[^\s#]*$/, 'must start with / and contain no spaces, e.g. /orders')
      .default('/'),
    // Lets a user try failures: an answer of 400 or more goes through the usual retries and auto-disable.
    response_status: z.number().int().min(200).max(599).default(200),
    response_delay_ms: z.number().int().min(0).max(MAX_RESPONSE_DELAY_MS).default(0),
    rate_limit: z.number().int().min(1).max(100_000).nullable().optional(),
    rate_limit_period: z.enum(['second', 'minute', 'hour']).default('second'),
    // The display URL every read shows; accepted (and dropped) so that a read config can be written back.
    url: z
      .string()
      .max(2048)
      .regex(/^mock:\/\//, 'a test receiver has no URL of its own; set `path` instead')
      .optional(),
  })
  .strict()
  .transform(({ url: _shown, ...config }) => config);

export type MockApiConfig = z.output<typeof MockApiConfigSchema>;

/** Where the request went, shown but not reachable: the mock receiver lives inside the hub. */
export function mockUrl(destinationId: string | undefined, path: string): string {
  return `mock://${destinationId ?? 'destination'}${path}`;
}
