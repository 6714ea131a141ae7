// Hash routes: the API serves one index.html at /console/, so no server-side fallback is needed.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { hasRole, session, type Role } from './auth/session'

export interface Screen {
  path: string
  name: string
  group: 'operations' | 'community' | 'department' | 'administration'
  roles: Role[]
  component: () => Promise<unknown>
}

export const SCREENS: Screen[] = [
  { path: '/ops/dashboard', name: 'dashboard', group: 'operations', roles: ['ops_viewer', 'dept_operator'], component: () => import('./pages/ops/Dashboard.vue') },
  { path: '/community/members', name: 'members', group: 'community', roles: ['community_staff'], component: () => import('./pages/community/Members.vue') },
  { path: '/community/notices', name: 'notices', group: 'community', roles: ['community_staff'], component: () => import('./pages/community/Notices.vue') },
  { path: '/community/events', name: 'events', group: 'community', roles: ['community_staff'], component: () => import('./pages/community/Events.vue') },
  { path: '/community/reports', name: 'reports', group: 'community', roles: ['community_staff'], component: () => import('./pages/community/Reports.vue') },
  { path: '/gov/cases', name: 'cases', group: 'department', roles: ['dept_operator'], component: () => import('./pages/gov/Cases.vue') },
  { path: '/gov/follow-ups', name: 'followUps', group: 'department', roles: ['dept_operator'], component: () => import('./pages/gov/FollowUps.vue') },
  { path: '/gov/hall-bookings', name: 'hallBookings', group: 'department', roles: ['dept_operator'], component: () => import('./pages/gov/HallBookings.vue') },
  { path: '/admin/outbox', name: 'outbox', group: 'administration', roles: ['admin'], component: () => import('./pages/admin/Outbox.vue') },
  { path: '/admin/audit', name: 'audit', group: 'administration', roles: ['admin'], component: () => import('./pages/admin/Audit.vue') },
  { path: '/admin/roles', name: 'roles', group: 'administration', roles: ['admin'], component: () => import('./pages/admin/Roles.vue') },
  { path: '/admin/open311-keys', name: 'keys', group: 'administration', roles: ['admin'], component: () => import('./pages/admin/Open311Keys.vue') },
]

/** The screens a user may open (the API enforces the same roles; this only hides what would be refused). */
export function screensFor(user: typeof session.user): Screen[] {
  return SCREENS.filter((screen) => screen.roles.some((role) => hasRole(user, role)))
}

const routes: RouteRecordRaw[] = [
  { path: '/sign-in', name: 'signIn', component: () => import('./pages/auth/SignIn.vue') },
  ...SCREENS.map((s) => ({ path: s.path, name: s.name, component: s.component as RouteRecordRaw['component'] }) as RouteRecordRaw),
  { path: '/:rest(.*)*', redirect: () => screensFor(session.user)[0]?.path ?? '/sign-in' },
]

export const router = createRouter({ history: createWebHashHistory(), routes })

router.beforeEach((to) => {
  if (to.name === 'signIn') return true
  if (!session.tokens) return { name: 'signIn', query: { next: to.fullPath } }
  const screen = SCREENS.find((s) => s.name === to.name)
  if (screen && !screensFor(session.user).includes(screen)) return screensFor(session.user)[0]?.path ?? '/sign-in'
  return true
})
