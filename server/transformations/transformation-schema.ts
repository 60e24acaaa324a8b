import { z } from 'zod';
import { nameSchema } from '../core/validate.ts';

/** Bigger scripts are bundles, not request reshaping; each one is compiled again on every run. */
export const MAX_CODE_BYTES = 64 * 1024;
export const MAX_ENV_KEYS = 50;

export const CodeSchema = z
  .string()
  .min(1, 'the code is empty; write addHandler("transform", (request, context) => request)')
  .refine((code) => Buffer.byteLength(code, 'utf8') <= MAX_CODE_BYTES, `the code must be at most ${MAX_CODE_BYTES / 1024} KB`);

/** Variables reach the code as `env.NAME` (and `context.env.NAME`): identifiers with string values. */
export const EnvSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'variable names are letters, digits and _ (not starting with a digit), at most 64'),
    z.string({ message: 'variable values must be strings' }).max(4096),
  )
  .refine((env) => Object.keys(env).length <= MAX_ENV_KEYS, `at most ${MAX_ENV_KEYS} variables`);

export const TransformationIn = z
  .object({
    name: nameSchema,
    code: CodeSchema,
    env: EnvSchema.optional(),
  })
  .strict();
export const TransformationPatch = TransformationIn.partial().strict();
export type TransformationInT = z.output<typeof TransformationIn>;
export type TransformationPatchT = z.output<typeof TransformationPatch>;
