// The console's one API client, typed from /docs/openapi.json (src/api/schema.d.ts, `npm run gen:api`).
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { saveSession, session, type Tokens } from '../auth/session'
import { currentLocale } from '../i18n'

export interface ApiErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown>; request_id?: string }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

let refreshing: Promise<boolean> | null = null

async function refreshTokens(): Promise<boolean> {
  const refresh = session.tokens?.refresh_token
  if (!refresh) return false
  const response = await fetch('/api/v1/auth/refresh', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: refresh }),
  })
  if (!response.ok) {
    saveSession(null)
    return false
  }
  const body = (await response.json()) as Tokens
  saveSession({ access_token: body.access_token, refresh_token: body.refresh_token, expires_in: body.expires_in })
  return true
}

const auth: Middleware = {
  async onRequest({ request }) {
    request.headers.set('Accept-Language', currentLocale() === 'en' ? 'en' : 'zh-CN')
    if (session.tokens) request.headers.set('Authorization', `Bearer ${session.tokens.access_token}`)
    return request
  },
  async onResponse({ request, response }) {
    // An expired access token: rotate once (one refresh for all requests waiting) and replay.
    if (response.status !== 401 || !session.tokens || request.url.includes('/auth/')) return response
    refreshing ??= refreshTokens().finally(() => (refreshing = null))
    if (!(await refreshing)) return response
    const retry = request.clone()
    retry.headers.set('Authorization', `Bearer ${session.tokens!.access_token}`)
    return fetch(retry)
  },
}

export const api = createClient<paths>({ baseUrl: '' })
api.use(auth)

/** The data of a response, or an ApiError carrying the server's code and translated message. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call
  if (response.ok) return data as T
  const body = error as ApiErrorBody | undefined
  throw new ApiError(response.status, body?.error?.code ?? 'http.' + response.status, body?.error?.message ?? response.statusText)
}
