// Proves the test Kubernetes API is the real thing the operator will meet: CRUD, watch with
// bookmarks, optimistic concurrency, server-side apply, service-account tokens, RBAC, and the
// kubectl and helm built beside it.
import {
  ApiException,
  AuthenticationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { SERVICE_ACCOUNT_ISSUER } from '../k8s/cluster.ts';
import { waitUntil } from '../k8s/processes.ts';
import { useKubernetes } from '../k8s/testing.ts';

const k8s = useKubernetes();

function configMap(name: string, data: Record<string, string>, labels: Record<string, string> = {}): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data };
}

/** The HTTP status of a failed client-node call, and the Status reason the server gave. */
async function failure(promise: Promise<unknown>): Promise<{ code: number; reason: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
    return { code: error.code, reason: (body as { reason?: string } | undefined)?.reason };
  }
  throw new Error('the call succeeded but was expected to fail');
}

function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('the test Kubernetes API', () => {
  it('creates, gets and lists objects in the file namespace', async () => {
    const core = k8s.api(CoreV1Api);
    const { namespace } = k8s;
    await core.createNamespacedConfigMap({ namespace, body: configMap('crud-a', { k: '1' }, { set: 'crud' }) });
    await core.createNamespacedConfigMap({ namespace, body: configMap('crud-b', { k: '2' }, { set: 'crud' }) });
    await core.createNamespacedConfigMap({ namespace, body: configMap('other', { k: '3' }) });

    const got = await core.readNamespacedConfigMap({ namespace, name: 'crud-b' });
    expect(got.data).toEqual({ k: '2' });
    expect(got.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await core.listNamespacedConfigMap({ namespace, labelSelector: 'set=crud' });
    expect(listed.items.map((item) => item.metadata?.name).sort()).toEqual(['crud-a', 'crud-b']);
    expect(Number(listed.metadata?.resourceVersion)).toBeGreaterThan(0);

    expect(await failure(core.readNamespacedConfigMap({ namespace, name: 'absent' }))).toEqual({ code: 404, reason: 'NotFound' });
    expect(await failure(core.createNamespacedConfigMap({ namespace, body: configMap('crud-a', {}) }))).toEqual({
      code: 409,
      reason: 'AlreadyExists',
    });
  });

  it('streams watch events from a resourceVersion, with bookmarks', async () => {
    const core = k8s.api(CoreV1Api);
    const { namespace } = k8s;
    const list = await core.listNamespacedConfigMap({ namespace, labelSelector: 'set=watch' });
    const events: { type: string; name: string | undefined; rv: string | undefined; annotations: Record<string, string> }[] = [];
    const watch = await new Watch(k8s.kc).watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      { labelSelector: 'set=watch', resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, obj: V1ConfigMap) => {
        events.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion, annotations: obj.metadata?.annotations ?? {} });
      },
      () => {},
    );
    try {
      await core.createNamespacedConfigMap({ namespace, body: configMap('watched', { v: '1' }, { set: 'watch' }) });
      await core.patchNamespacedConfigMap(
        { namespace, name: 'watched', body: { data: { v: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ namespace, name: 'watched' });
      const changes = (): string[] => events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.name}`);
      await waitUntil(() => changes().length >= 3, 30_000, 'watch events did not arrive');
      expect(changes()).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
    } finally {
      watch.abort();
    }

    // Asking for the initial state through the watch ends it with a bookmark that marks the
    // end of the initial events and carries the resourceVersion to resume from.
    events.length = 0;
    await core.createNamespacedConfigMap({ namespace, body: configMap('present', { v: '1' }, { set: 'watch' }) });
    const initial = await new Watch(k8s.kc).watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      { labelSelector: 'set=watch', sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true },
      (type, obj: V1ConfigMap) => {
        events.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion, annotations: obj.metadata?.annotations ?? {} });
      },
      () => {},
    );
    try {
      await waitUntil(() => events.some((e) => e.type === 'BOOKMARK'), 30_000, 'no bookmark arrived');
      const bookmark = events.find((e) => e.type === 'BOOKMARK');
      expect(events[0]).toMatchObject({ type: 'ADDED', name: 'present' });
      expect(bookmark?.annotations['k8s.io/initial-events-end']).toBe('true');
      expect(Number(bookmark?.rv)).toBeGreaterThanOrEqual(Number(events[0]?.rv));
    } finally {
      initial.abort();
    }
  });

  it('refuses an update from a stale resourceVersion with 409 Conflict', async () => {
    const core = k8s.api(CoreV1Api);
    const { namespace } = k8s;
    const created = await core.createNamespacedConfigMap({ namespace, body: configMap('optimistic', { v: '1' }) });
    const updated = await core.replaceNamespacedConfigMap({
      namespace,
      name: 'optimistic',
      body: { ...created, data: { v: '2' } },
    });
    expect(updated.metadata?.resourceVersion).not.toBe(created.metadata?.resourceVersion);

    const stale = core.replaceNamespacedConfigMap({ namespace, name: 'optimistic', body: { ...created, data: { v: '3' } } });
    expect(await failure(stale)).toEqual({ code: 409, reason: 'Conflict' });
    expect((await core.readNamespacedConfigMap({ namespace, name: 'optimistic' })).data).toEqual({ v: '2' });
  });

  it('tracks field managers in server-side apply and reports conflicts between them', async () => {
    const core = k8s.api(CoreV1Api);
    const { namespace } = k8s;
    const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const applied = await core.patchNamespacedConfigMap(
      { namespace, name: 'ssa', fieldManager: 'qshield-operator', body: configMap('ssa', { owned: 'by-operator' }) },
      apply,
    );
    const managers = applied.metadata?.managedFields?.map((f) => `${f.manager}/${f.operation}`);
    expect(managers).toEqual(['qshield-operator/Apply']);

    const contested = core.patchNamespacedConfigMap(
      { namespace, name: 'ssa', fieldManager: 'someone-else', body: configMap('ssa', { owned: 'by-someone-else' }) },
      apply,
    );
    expect(await failure(contested)).toEqual({ code: 409, reason: 'Conflict' });

    const forced = await core.patchNamespacedConfigMap(
      { namespace, name: 'ssa', fieldManager: 'someone-else', force: true, body: configMap('ssa', { owned: 'by-someone-else' }) },
      apply,
    );
    expect(forced.data).toEqual({ owned: 'by-someone-else' });
    expect(forced.metadata?.managedFields?.map((f) => f.manager)).toEqual(['someone-else']);
  });

  it('issues a service-account token for audience qshield that TokenReview authenticates', async () => {
    const core = k8s.api(CoreV1Api);
    const auth = k8s.api(AuthenticationV1Api);
    const { namespace } = k8s;
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'workload' } } });
    const request = await core.createNamespacedServiceAccountToken({
      namespace,
      name: 'workload',
      body: { spec: { audiences: ['qshield'], expirationSeconds: 600 } },
    });
    const token = request.status?.token ?? '';
    const claims = jwtClaims(token);
    expect(claims['aud']).toEqual(['qshield']);
    expect(claims['iss']).toBe(SERVICE_ACCOUNT_ISSUER);
    expect(claims['sub']).toBe(`system:serviceaccount:${namespace}:workload`);

    const review = await auth.createTokenReview({ body: { spec: { token, audiences: ['qshield'] } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.audiences).toEqual(['qshield']);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${namespace}:workload`);
    expect(review.status?.user?.groups).toContain(`system:serviceaccounts:${namespace}`);

    const otherAudience = await auth.createTokenReview({ body: { spec: { token, audiences: ['someone-else'] } } });
    expect(otherAudience.status?.authenticated).toBeFalsy();

    const [header, payload, signature = ''] = token.split('.');
    const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const forged = await auth.createTokenReview({ body: { spec: { token: flipped, audiences: ['qshield'] } } });
    expect(forged.status?.authenticated).toBeFalsy();
  });

  it('authorizes with RBAC: a service account may do only what a binding grants', async () => {
    const core = k8s.api(CoreV1Api);
    const rbac = k8s.api(RbacAuthorizationV1Api);
    const { namespace } = k8s;
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
    const request = await core.createNamespacedServiceAccountToken({
      namespace,
      name: 'reader',
      body: { spec: { expirationSeconds: 600 } },
    });
    const cluster = k8s.kc.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig has no cluster');
    const asReader = new KubeConfig();
    asReader.loadFromClusterAndUser(cluster, { name: 'reader', token: request.status?.token ?? '' });
    const readerCore = asReader.makeApiClient(CoreV1Api);

    expect(await failure(readerCore.listNamespacedConfigMap({ namespace }))).toEqual({ code: 403, reason: 'Forbidden' });

    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'configmap-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      },
    });
    await waitUntil(async () => {
      try {
        await readerCore.listNamespacedConfigMap({ namespace });
        return true;
      } catch {
        return false;
      }
    }, 10_000, 'the RoleBinding did not take effect');
    expect(await failure(readerCore.createNamespacedConfigMap({ namespace, body: configMap('nope', {}) }))).toEqual({
      code: 403,
      reason: 'Forbidden',
    });
  });

  it('runs kubectl apply --dry-run=server with server-side validation and no change', async () => {
    const { namespace } = k8s;
    const manifest = JSON.stringify(configMap('dry-run', { v: '1' }));
    const dry = await k8s.kubectl(['apply', '--dry-run=server', '-n', namespace, '-f', '-'], { input: manifest });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim()).toBe('configmap/dry-run created (server dry run)');
    const get = await k8s.kubectl(['get', 'configmap', 'dry-run', '-n', namespace]);
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('NotFound');

    const invalid = JSON.stringify(configMap('Not_A_Valid_Name', {}));
    const refused = await k8s.kubectl(['apply', '--dry-run=server', '-n', namespace, '-f', '-'], { input: invalid });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('is invalid');
  });

  it('has a helm that runs and reaches the API server', async () => {
    const version = await k8s.helm(['version', '--short']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^v4\.\d+\.\d+/);
    const releases = await k8s.helm(['list', '-n', k8s.namespace, '-o', 'json']);
    expect(releases.stderr).toBe('');
    expect(releases.code).toBe(0);
    expect(JSON.parse(releases.stdout)).toEqual([]);
  });
});
