import type { FastifyRequest } from 'fastify';
import { deliveryAddress } from '../domain/shared/delivery-address.js';

/**
 * The address an ingest request's alerts record as `receivedFrom`: Fastify's (the socket's peer, or the
 * client a trusted proxy names) normalised, or none when it is not an address.
 */
export const deliveredFrom = (request: FastifyRequest): string | undefined => deliveryAddress(request.ip);

/**
 * The client's address as limits and records count it, normalised as `deliveredFrom`, so that one client is
 * one key whatever port or form its address came in (`203.0.113.9:50001` from a proxy would otherwise be a new
 * rate-limit bucket per connection).
 */
export const clientAddress = (request: FastifyRequest): string => deliveredFrom(request) ?? request.ip;
