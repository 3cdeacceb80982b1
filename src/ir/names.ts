/** Deterministic node names: stable across reloads, processes and replicas. */
export const vhostName = (hostname: string): string => `vhost/${hostname}`;
export const backendName = (namespace: string, service: string, port: number): string =>
  `backend/${namespace}/${service}/${port}`;
export const endpointName = (backend: string, address: string, port: number): string =>
  `${backend}|${address.includes(':') ? `[${address}]` : address}:${port}`;
export const ingressRouteName = (namespace: string, ingress: string, rule: number, path: number): string =>
  `ingress/${namespace}/${ingress}/rule/${rule}/path/${path}`;
export const ingressDefaultRouteName = (namespace: string, ingress: string): string =>
  `ingress/${namespace}/${ingress}/default`;
export const secretCertificateName = (namespace: string, secret: string): string =>
  `secret/${namespace}/${secret}`;
export const fileCertificateName = (path: string): string => `file/${path}`;
export const registryRouteName = (namespace: string, name: string, route: number): string =>
  `registryroute/${namespace}/${name}/route/${route}`;
