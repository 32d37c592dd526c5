// Two projects: `unit` (beside the code, no network, no services) and `integration`
// (under test/, against real RabbitMQ, kube-apiserver and openssl; started by harnesses).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{lib,sidecar,operator,cli}/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.int.test.ts', 'test/e2e/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Integration files share real services; run them one file at a time on 2 cores.
          fileParallelism: false,
          // One Kubernetes API per run (test/k8s; files opt in with useKubernetes()), started
          // first because it comes up in the background while RabbitMQ starts.
          globalSetup: ['test/k8s/global-setup.ts', 'test/harness/rabbitmq-global-setup.ts'],
        },
      },
    ],
  },
});
