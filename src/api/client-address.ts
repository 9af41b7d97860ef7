import type { FastifyRequest } from 'fastify';
import { deliveryAddress } from '../domain/shared/delivery-address.js';

/**
 * The client's address as limits and records count it: Fastify's (the socket's peer, or the client a trusted
 * proxy names) normalised, so that one client is one key whatever port or form its address came in
 * (`203.0.113.9:50001` from a proxy would otherwise be a new rate-limit bucket per connection).
 */
export const clientAddress = (request: FastifyRequest): string => deliveryAddress(request.ip) ?? request.ip;
