# bash completion for maildog-ci                                 -*- shell-script -*-
# Installed as share/bash-completion/completions/maildog-ci. Licensed under Apache-2.0.
# tests/ci/completions.py fails when a subcommand or long option of `--help` is missing here.

_maildog_ci_scenarios() {
  # Scenario files (*.yaml, *.yml) and folders.
  local IFS=$'\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY+=($(compgen -d -- "$cur"))
  COMPREPLY+=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur"))
}

_maildog_ci_files() {
  local IFS=$'\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY+=($(compgen -f -- "$cur"))
}

_maildog_ci_dirs() {
  local IFS=$'\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY+=($(compgen -d -- "$cur"))
}

_maildog_ci() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi
  COMPREPLY=()

  local commands='run validate check keygen sign merge explain serve healthcheck record'
  local command='' i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -*) ;;
      *) command=${words[i]}; break ;;
    esac
  done

  if [[ -z $command ]]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
    return
  fi

  local options=''
  case $command in
    run)
      options='--help --jobs --junit --json --html --artifacts --filter --tag --fail-fast --timeout
               --seed --ca-file --update-golden --shard --no-color'
      case $prev in
        --junit | --json | --html | --ca-file) _maildog_ci_files; return ;;
        --artifacts) _maildog_ci_dirs; return ;;
        -j | --jobs | --filter | --tag | --timeout | --seed | --shard) return ;;
      esac
      ;;
    validate)
      options='--help'
      ;;
    check)
      options='--help --client-ip --helo --mail-from --receiver --dns --live --dnsbl --json --no-ptr'
      case $prev in
        --dns) _maildog_ci_scenarios; return ;;
        --client-ip | --helo | --mail-from | --receiver | --dnsbl) return ;;
      esac
      ;;
    keygen)
      options='--help --type --algorithm --bits --selector --domain --out'
      case $prev in
        --type | --algorithm) COMPREPLY=($(compgen -W 'rsa ed25519' -- "$cur")); return ;;
        --out) _maildog_ci_files; return ;;
        --bits | --selector | --domain) return ;;
      esac
      ;;
    sign)
      options='--help --key --selector --domain --type --algorithm --headers --canonicalization --out'
      case $prev in
        --type | --algorithm) COMPREPLY=($(compgen -W 'rsa ed25519' -- "$cur")); return ;;
        --canonicalization)
          COMPREPLY=($(compgen -W 'relaxed/relaxed relaxed/simple simple/relaxed simple/simple' -- "$cur"))
          return
          ;;
        --key | --out) _maildog_ci_files; return ;;
        --selector | --domain | --headers) return ;;
      esac
      ;;
    merge)
      options='--help --junit --json --html'
      case $prev in
        --junit | --json | --html) _maildog_ci_files; return ;;
      esac
      ;;
    explain)
      options='--help --json'
      ;;
    serve)
      options='--help --config --smtp-port --data --keep --keep-refused --bind --smtp-bind --http-bind --http-port --api-token --allowed-host --ready-file --print-ready-json --max-sandboxes --http-max-connections'
      case $prev in
        --config) _maildog_ci_scenarios; return ;;
        --data) _maildog_ci_dirs; return ;;
        --ready-file) _maildog_ci_files; return ;;
        --smtp-port | --http-port | --keep | --keep-refused | --bind | --smtp-bind | --http-bind | --api-token | --allowed-host | --max-sandboxes | --http-max-connections) return ;;
      esac
      ;;
    healthcheck)
      options='--help --url --timeout --api-token'
      case $prev in
        --url | --timeout | --api-token) return ;;
      esac
      ;;
    record)
      options='--help --listen --upstream --upstream-tls --upstream-ca --insecure -o --output --sessions --keep-bodies --app --transcript --ca-file --timeout --force --probe --rcpt --mail-from --tls'
      case $prev in
        --upstream-tls | --tls) COMPREPLY=($(compgen -W 'starttls implicit none' -- "$cur")); return ;;
        --upstream-ca | -o | --output | --transcript | --ca-file) _maildog_ci_files; return ;;
        --listen | --upstream | --sessions | --app | --timeout | --probe | --rcpt | --mail-from) return ;;
      esac
      ;;
    *) return ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
    return
  fi
  case $command in
    run | validate) _maildog_ci_scenarios ;;
    check | sign | merge) _maildog_ci_files ;;
  esac
} &&
  complete -F _maildog_ci maildog-ci

# ex: filetype=sh
