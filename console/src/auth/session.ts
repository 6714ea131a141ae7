// The signed-in staff member: tokens (sessionStorage: gone when the tab closes) and the account's roles.
import { reactive } from 'vue'

export type Role = 'resident' | 'community_staff' | 'dept_operator' | 'ops_viewer' | 'admin'

export interface Profile {
  id: string
  locale?: string | null
  roles: Record<string, string[]>
}

export interface Tokens {
  access_token: string
  refresh_token: string
  expires_in: number
}

const KEY = 'citizen-console-session'

export interface SessionState {
  tokens: Tokens | null
  user: Profile | null
}

function load(storage: Storage | undefined): SessionState {
  try {
    const raw = storage?.getItem(KEY)
    if (raw) return JSON.parse(raw) as SessionState
  } catch {
    /* a damaged entry is a signed-out session */
  }
  return { tokens: null, user: null }
}

const storage = typeof sessionStorage === 'undefined' ? undefined : sessionStorage
export const session = reactive<SessionState>(load(storage))

export function saveSession(tokens: Tokens | null, user: Profile | null = session.user): void {
  session.tokens = tokens
  session.user = tokens ? user : null
  if (tokens) storage?.setItem(KEY, JSON.stringify({ tokens, user: session.user }))
  else storage?.removeItem(KEY)
}

/** The API's rule (services/accounts/principal.py): admins hold every role; a scope "" or none means all. */
export function hasRole(user: Profile | null, role: Role, scope?: string): boolean {
  if (!user) return false
  if (role !== 'admin' && 'admin' in user.roles) return true
  const scopes = user.roles[role]
  if (scopes === undefined) return false
  return scope === undefined || scopes.length === 0 || scopes.includes(scope)
}

/** The scopes (community ids, department codes) a user holds a role for. */
export function scopesOf(user: Profile | null, role: Role): string[] {
  return user?.roles[role] ?? []
}
