# SPDX-License-Identifier: BSD-3-Clause
# bash completion for subquad(1): commands, each command's flags (read from
# its --help, so they never fall behind), kernels and suites (the lists
# `subquad run --help` prints), devices (`subquad devices --format csv`),
# and the fixed values of --format, --dtype, --mode and --strategy.
# Installed as $(datadir)/bash-completion/completions/subquad.

_subquad_words() {
  # _subquad_words PROGRAM WHAT: kernels | suites | devices | flags CMD
  local prog=$1
  case $2 in
  kernels) "$prog" run --help 2>/dev/null | sed -n 's/^ *--kernel K *one of: *//p' ;;
  suites) "$prog" run --help 2>/dev/null | sed -n 's/^ *--suite S *one of: *//p' ;;
  devices) "$prog" devices --format csv 2>/dev/null | tail -n +2 | cut -d, -f1 ;;
  flags) "$prog" "$3" --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u ;;
  esac
}

_subquad() {
  local cur prev prog cmd
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  prog=${COMP_WORDS[0]}
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    local cmds
    cmds=$("$prog" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
    COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
    return
  fi
  cmd=${COMP_WORDS[1]}
  case $prev in
  --kernel | --only) COMPREPLY=($(compgen -W "$(_subquad_words "$prog" kernels)" -- "$cur")); return ;;
  --suite) COMPREPLY=($(compgen -W "$(_subquad_words "$prog" suites)" -- "$cur")); return ;;
  --device) COMPREPLY=($(compgen -W "$(_subquad_words "$prog" devices)" -- "$cur")); return ;;
  --dtype) COMPREPLY=($(compgen -W "f32 f16 bf16" -- "$cur")); return ;;
  --mode) COMPREPLY=($(compgen -W "cold hot" -- "$cur")); return ;;
  --feature) COMPREPLY=($(compgen -W "identity elu1" -- "$cur")); return ;;
  --ambiguous) COMPREPLY=($(compgen -W "fail pass" -- "$cur")); return ;;
  --priority) COMPREPLY=($(compgen -W "auto realtime high normal" -- "$cur")); return ;;
  --methods) COMPREPLY=($(compgen -W "allgather allscan ring allgather,allscan,ring" -- "$cur")); return ;;
  --scaling) COMPREPLY=($(compgen -W "none weak strong both" -- "$cur")); return ;;
  --plot) COMPREPLY=($(compgen -d -- "$cur")); return ;;
  --strategy) COMPREPLY=($(compgen -W "exhaustive random anneal genetic ils" -- "$cur")); return ;;
  --format)
    case $cmd in
    devices) COMPREPLY=($(compgen -W "table csv json" -- "$cur")) ;;
    workloads) COMPREPLY=($(compgen -W "table csv" -- "$cur")) ;;
    run) COMPREPLY=($(compgen -W "csv json" -- "$cur")) ;;
    export) COMPREPLY=($(compgen -W "json" -- "$cur")) ;;
    compare | gate) COMPREPLY=($(compgen -W "text md" -- "$cur")) ;;
    esac
    return ;;
  -o | --output | --cache | --db | --replay | --t4 | --catalog | --tune | --base | --new | --gnuplot | --dump)
    COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_subquad_words "$prog" flags "$cmd")" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _subquad subquad
