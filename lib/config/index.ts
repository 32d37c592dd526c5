export { EnvReader, deepFreeze, type Env } from './env-reader.ts';
export { parseDuration, formatDuration } from './duration.ts';
