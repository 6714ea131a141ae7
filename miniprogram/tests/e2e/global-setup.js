module.exports = async () => {
  await require('./backend').start()
}
