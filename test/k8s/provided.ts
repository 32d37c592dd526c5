// What the integration project's global setup hands to test files (vitest provide/inject),
// and the marker files through which it reports the API server ready or failed.

/** Written into the run directory once the API server is ready and the CRDs are installed. */
export const READY_MARKER = 'ready';
/** Written instead when bringing the API server up failed; holds the reason. */
export const FAILED_MARKER = 'failed';

export type ProvidedK8s =
  | { readonly status: 'unavailable'; readonly reason: string }
  | {
      readonly status: 'started';
      /** This run's directory: markers, and the cluster's files when the run started it. */
      readonly runDir: string;
      readonly server: string;
      readonly kubeconfig: string;
      /** Directory of kubectl, helm, etcd and kube-apiserver. */
      readonly bin: string;
      /** True when the cluster is the one `npm run k8s:up` started. */
      readonly reused: boolean;
    };

declare module 'vitest' {
  export interface ProvidedContext {
    qshieldK8s: ProvidedK8s;
  }
}
