export { startObservability, type Observability, type ObservabilityOptions } from './start-observability.ts';
