import type { AddressInfo } from 'node:net';

/** `host:port` of a bound socket, IPv6 in brackets (`[::]:8080`), so the port is always after the last `:`. */
export function formatAddress(address: AddressInfo): string {
  return address.family === 'IPv6'
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}
