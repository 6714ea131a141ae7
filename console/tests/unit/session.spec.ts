import { describe, expect, it } from 'vitest'
import { hasRole, scopesOf, type Profile } from '../../src/auth/session'

const operator: Profile = { id: 'u1', roles: { resident: [], dept_operator: ['gongan'] } }
const admin: Profile = { id: 'u2', roles: { resident: [], admin: [] } }
const viewer: Profile = { id: 'u3', roles: { resident: [], ops_viewer: [] } }

describe('hasRole (the API rule of services/accounts/principal.py)', () => {
  it('checks the scope of a scoped role', () => {
    expect(hasRole(operator, 'dept_operator', 'gongan')).toBe(true)
    expect(hasRole(operator, 'dept_operator', 'shebao')).toBe(false)
    expect(hasRole(operator, 'ops_viewer')).toBe(false)
  })
  it('gives admins every role but not admin to others', () => {
    expect(hasRole(admin, 'community_staff', 'any-community')).toBe(true)
    expect(hasRole(viewer, 'admin')).toBe(false)
    expect(hasRole(null, 'ops_viewer')).toBe(false)
  })
  it('lists the scopes held', () => {
    expect(scopesOf(operator, 'dept_operator')).toEqual(['gongan'])
    expect(scopesOf(viewer, 'community_staff')).toEqual([])
  })
})
