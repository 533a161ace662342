// `node --import ./bench/otel-absent.mjs …`: @opentelemetry/api cannot be found, as for a user who never
// installed it (bench:telemetry's "absent" run).
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === '@opentelemetry/api') {
    const error = new Error("Cannot find package '@opentelemetry/api'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`)}`,
);
