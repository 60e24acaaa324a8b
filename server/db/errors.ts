export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === '23505';
