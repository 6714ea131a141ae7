// Helper types over the generated OpenAPI schema (schema.d.ts): the client and pages name operations by
// their path and method, exactly as the document does.
import type { paths } from './schema'

export type Path = keyof paths
export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete'
type Op<P extends Path, M extends Method> = NonNullable<paths[P][M]>
type Json<R> = R extends { content: { 'application/json': infer J } } ? J : never
type Responses<P extends Path, M extends Method> = Op<P, M> extends { responses: infer R } ? R : never

/** The JSON body of the operation's success answer (200 or 201). */
export type Ok<P extends Path, M extends Method> = Responses<P, M> extends infer R
  ? R extends { 200: infer A } ? Json<A> : R extends { 201: infer B } ? Json<B> : unknown
  : never
/**
 * The JSON request body. Top-level fields are optional here: the document lists fields that have a
 * server-side default (e.g. `reason: ""`, PATCH /me's fields) as required, though the API accepts them absent.
 */
export type Body<P extends Path, M extends Method> = Op<P, M> extends { requestBody?: infer B }
  ? Partial<Json<NonNullable<B>>> : never
/** Query parameters. */
export type Query<P extends Path, M extends Method> = Op<P, M> extends { parameters: { query?: infer Q } }
  ? NonNullable<Q> : never
/** Path parameters. */
export type Params<P extends Path, M extends Method> = Op<P, M> extends { parameters: { path?: infer Q } }
  ? NonNullable<Q> : never

/** Paths that answer the given method. */
export type PathsFor<M extends Method> = { [P in Path]: paths[P][M] extends undefined | never ? never : P }[Path]

export interface RequestOptions<P extends Path, M extends Method> {
  params?: Params<P, M>
  query?: Query<P, M>
  body?: Body<P, M>
  /** Reuse a key for a POST that the user retries from a fresh page (the client reuses it within one call). */
  idempotencyKey?: string
  /** Do not offer a retry dialog on network failure (background refreshes). */
  quiet?: boolean
}

/** One item of a list answer. */
export type Item<L> = L extends { items?: (infer I)[] } ? I : never
