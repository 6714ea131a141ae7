// The signed-in session (tokens and the last profile seen), the family member I act for, and elder mode.
// Kept in wx storage so a restart of the mini-program keeps them.

/**
 * @typedef {import('../api/types').Ok<'/api/v1/me', 'get'>} Me
 * @typedef {{ access_token: string, refresh_token: string, user?: Me }} Tokens
 * @typedef {{ id: string, name: string }} ActingFor
 */

const TOKENS = 'citizen.session'
const ACTING = 'citizen.acting_for'
const ELDER = 'citizen.elder_mode'

/** @returns {Tokens | null} */
function tokens() {
  const value = wx.getStorageSync(TOKENS)
  return value && value.access_token ? value : null
}

/** @param {Tokens} value */
function save(value) {
  wx.setStorageSync(TOKENS, value)
  if (value.user && typeof value.user.elder_mode === 'boolean') setElderMode(value.user.elder_mode)
}

/** @param {Me} user */
function saveUser(user) {
  const current = tokens()
  if (current) save({ ...current, user })
}

/** @returns {Me | null} */
function user() {
  const current = tokens()
  return (current && current.user) || null
}

function clear() {
  wx.removeStorageSync(TOKENS)
  wx.removeStorageSync(ACTING)
}

/** @returns {ActingFor | null} */
function actingFor() {
  return wx.getStorageSync(ACTING) || null
}

/** @param {ActingFor | null} value */
function setActingFor(value) {
  if (value) wx.setStorageSync(ACTING, value)
  else wx.removeStorageSync(ACTING)
}

function elderMode() {
  return wx.getStorageSync(ELDER) === true
}

/** @param {boolean} on */
function setElderMode(on) {
  wx.setStorageSync(ELDER, !!on)
}

module.exports = { tokens, save, saveUser, user, clear, actingFor, setActingFor, elderMode, setElderMode }
