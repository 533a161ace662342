import { z } from 'zod';
import { STRATEGIES, type Strategy } from '../config/options.js';

const count = z.number().int().positive();

/** Seed 004's `rateLimit` names, and keymux's own. */
const rateLimit = z
  .object({
    requestsPerMinute: count.optional(),
    tokensPerMinute: count.optional(),
    requestsPerDay: count.optional(),
    tokensPerDay: count.optional(),
  })
  .strict();

const limits = z
  .object({ rpm: count.optional(), tpm: count.optional(), rpd: count.optional(), tpd: count.optional() })
  .strict();

/** `POST /admin/keys`: seed 004's fields (`key`, `rateLimit`, `priority`) or keymux's (`apiKey`, `limits`, `weight`). */
export const addKeySchema = z
  .object({
    provider: z.string().min(1),
    apiKey: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    name: z.string().min(1).max(100).optional(),
    limits: limits.optional(),
    rateLimit: rateLimit.optional(),
    weight: z.number().positive().optional(),
    priority: z.number().positive().optional(),
    enabled: z.boolean().optional(),
    tags: z.array(z.string()).optional(),
    maxConcurrentRequests: count.optional(),
    queueSize: z.number().int().nonnegative().optional(),
    baseURL: z.url().optional(),
    model: z.string().optional(),
    quotaGroup: z.string().optional(),
  })
  .strict()
  .refine((body) => (body.apiKey ?? body.key) !== undefined, {
    message: 'apiKey (or key) is required',
    path: ['apiKey'],
  });

export type AddKeyBody = z.infer<typeof addKeySchema>;

export const strategySchema = z
  .object({
    strategy: z.enum(STRATEGIES.filter((s) => s !== 'specific') as [Strategy, ...Strategy[]]),
    provider: z.string().min(1).optional(),
  })
  .strict();

/** Seed 004's `POST /remove` body; keymux names keys, so `name` is what identifies one. */
export const removeKeySchema = z.object({ provider: z.string().min(1), name: z.string().min(1) }).strict();

/** One line per problem: `limits.rpm: Too small: expected number to be >0`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
}
