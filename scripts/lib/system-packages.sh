# Sourced by scripts/test and scripts/insi-bench: makes sure the Debian packages the build and the
# card tier need are there. Installs them when root; otherwise prints the apt-get line and fails.
#   libpcsclite-dev + pkg-config: to build the pcsc crate
#   pcscd + vsmartcard-vpcd:      the real PC/SC daemon and the virtual reader for card tests
#   curl:                         the simulator smoke test (a client that is not ours)
# Tests need more than running the CLI does; scripts/test passes them as arguments:
#   ensure_system_packages "${TEST_SYSTEM_PACKAGES[@]}"
TEST_SYSTEM_PACKAGES=(
  chromium # headless browser that loads the simulator's inspector page (cli_sim.rs)
)
ensure_system_packages() {
  local packages=(libpcsclite-dev pkg-config pcscd vsmartcard-vpcd curl "$@") missing=() p
  command -v dpkg-query >/dev/null || return 0 # not Debian-like: the user knows their system
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "==> installing system packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing system packages: ${missing[*]}" >&2
    echo "install them with:  sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
}
