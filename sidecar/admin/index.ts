export { startAdminServer, type AdminServer, type AdminServerOptions } from './admin-server.ts';
export { runReadinessChecks, type ReadinessCheck, type CheckResult, type ReadinessReport } from './readiness.ts';
