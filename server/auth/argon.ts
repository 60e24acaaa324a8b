// @node-rs/argon2 uses argon2id by default; these are OWASP's minimums for it. Every stored password
// is hashed with them: at sign-up (auth.service.ts) and at a password reset (email-links.service.ts).
export const ARGON = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
