#!/usr/bin/env bats
# HACKING.md describes the house: every module of lib/ and mock/ is named in
# it, and every module it names exists.
load test_helper

ROOT="$BATS_TEST_DIRNAME/.."

@test "HACKING.md names every module of lib/ and mock/" {
    missing=
    for f in "$ROOT"/lib/*.c "$ROOT"/mock/*.c; do
        m=$(basename "$f" .c)
        grep -q "\`$m\`" "$ROOT/HACKING.md" || missing="$missing $m"
    done
    echo "not in HACKING.md:$missing"
    [ -z "$missing" ]
}

@test "every module HACKING.md names exists in lib/ or mock/" {
    table=$(sed -n '/^## Where things are/,/^A new piece/p' "$ROOT/HACKING.md")
    names=$(printf '%s\n' "$table" | grep -o '`[a-z_0-9]*`' | tr -d '`' | sort -u)
    [ -n "$names" ]
    gone=
    for m in $names; do
        [ -e "$ROOT/lib/$m.c" ] || [ -e "$ROOT/mock/$m.c" ] || gone="$gone $m"
    done
    echo "named but not found:$gone"
    [ -z "$gone" ]
}

@test "no command file is longer than 700 lines, and no main() than 80" {
    long=
    for f in "$ROOT"/cmd/*.c; do
        n=$(wc -l < "$f")
        [ "$n" -le 700 ] || long="$long $(basename "$f"):$n"
        m=$(awk '/^main\(/{s=NR} s && /^}/{print NR - s; exit}' "$f")
        [ "${m:-0}" -le 80 ] || long="$long $(basename "$f"):main=$m"
    done
    echo "too long:$long"
    [ -z "$long" ]
}
