#!/usr/bin/env bats
# The bad-input matrix: every tool against each kind of unusual or bad input,
# as tests/badinput.tsv says it must behave. One test walks one kind across
# every tool, and names each row of the table that does not hold.
#
# The kinds. A bad line is line 2 of one file, between the good records g1
# and g2. A bad file (missing, directory, unreadable) is the middle operand of
# three, between a file holding g1 and one holding g2.
#   clean        g1 and g2 alone, the control
#   empty        no bytes at all
#   blank        blank lines only, some of spaces and tabs
#   blank-lines  g1 and g2 among blank lines
#   crlf         g1 and g2 with CRLF endings
#   bom          g1 and g2 after a UTF-8 byte order mark
#   malformed    a line cut off inside an object
#   not-object   a line that is a JSON array
#   wrong-type   a record with a field of the wrong type for the tool (see
#                wrong_type below)
#   number       a record with a number literal jq 1.6 reads but JSON has not:
#                NaN (tests/jsonl.bats tries the others)
#   bad-id       a record whose 'id' is true: neither a string nor a number
#   huge         a valid record h whose 'note' holds 50 MB
#   huge-bad     a 50 MB line cut off inside a string
#   utf8         a record whose 'note' holds a Latin-1 byte, not UTF-8
#   nul          a record whose 'note' holds a NUL byte
#   missing      a file that does not exist
#   directory    a directory given as a file
#   unreadable   a file the tool may not read
#   dev-full     the clean file, with standard output on /dev/full
#
# The columns of the table. tool: the tool, and the option that takes the file
# when it is not an operand. exit: the exit status. stderr: '-' for nothing,
# else text that must appear, where {file} stands for the bad file's path.
# stdout: 'ids A B...', the records written, in this order, each with the
# field the tool adds; 'jq EXPR', true of the records written (jq -s);
# 'serves A B...', ev-mock started and answers the prompt of each case with
# its answer; 'none', nothing; '-', not looked at.
#
# Every row also holds that the tool ends within 30 seconds, that each line of
# standard error starts with the tool's name, that standard error stays short
# (a bad line is quoted in part, never whole) and that standard output has no
# CR and no byte order mark.
load test_helper

TABLE="$BATS_TEST_DIRNAME/badinput.tsv"
# Only a hang guard, never a measure of speed: memcheck on a busy machine
# takes minutes over the 50 MB lines.
HANG=300
[ "${VALGRIND:-}" != 1 ] || HANG=1800
TOOLS=(ev-split ev-score ev-call ev-cost ev-compare ev-gaps ev-curve ev-tune
    "ev-mock --cases" "ev-mock --replay")
KINDS=(clean empty blank blank-lines crlf bom malformed not-object wrong-type number
    bad-id huge huge-bad utf8 nul missing directory unreadable dev-full)

setup_file() {
    head -c 50000000 /dev/zero | tr '\0' x >"$BATS_FILE_TMPDIR/50mb"
}

setup() {
    MOCK_PIDS=()
    MOCK_N=0
    PUBLIC=
    PRIV=()
}

teardown() {
    ev_mock_stop_all
    [ -z "$PUBLIC" ] || rm -rf "$PUBLIC"
}

# good TOOL ID: a good record for TOOL, without its newline.
good() {
    case $1 in
    ev-cost) printf '{"id":"%s","call":{"model":"m","input_tokens":10,"output_tokens":5}}' "$2" ;;
    ev-compare) printf '{"id":"%s","score":{"pass":true,"value":1}}' "$2" ;;
    ev-gaps)
        printf '{"id":"%s","input":"q %s","expected":"A-%s","output":"no","score":{"pass":false,"value":0}}' \
            "$2" "$2" "$2"
        ;;
    ev-curve)
        case $2 in
        g1) printf '{"n":50,"k":84,"N":200}' ;;
        g2) printf '{"n":100,"k":100,"N":200}' ;;
        *) printf '{"n":75,"k":90,"N":200}' ;;
        esac
        ;;
    "ev-mock --replay") printf '{"id":"%s","input":"q %s","output":"A-%s","call":{"model":"m"}}' "$2" "$2" "$2" ;;
    *) printf '{"id":"%s","input":"q %s","expected":"A-%s","output":"A-%s"}' "$2" "$2" "$2" "$2" ;;
    esac
}

# wrong_type TOOL: a record with a field of the wrong type for TOOL: one the
# tool reads, whose type ev(7) or the tool's page fixes.
wrong_type() {
    case $1 in
    ev-split) printf '{"id":{"n":1},"input":"q w"}' ;;
    ev-score) printf '{"id":"w","output":"x","expected":"x","assert":7}' ;;
    ev-cost) printf '{"id":"w","call":{"model":"m","input_tokens":"ten","output_tokens":5}}' ;;
    ev-compare) printf '{"id":"w","score":{"pass":"yes","value":1}}' ;;
    ev-gaps) printf '{"id":"w","input":"q w","score":"fail"}' ;;
    ev-curve) printf '{"n":"75","k":90,"N":200}' ;;
    "ev-mock --replay") printf '{"id":"w","input":42,"output":"x","call":{"model":"m"}}' ;;
    *) printf '{"id":"w","input":42,"expected":"x"}' ;;
    esac
}

# bad_id TOOL: a good record for TOOL whose id is true.
bad_id() {
    local r
    r=$(good "$1" b)
    if [[ "$r" == *'"id":"b"'* ]]; then
        printf '%s' "${r/'"id":"b"'/'"id":true'}"
    else
        printf '{"id":true,%s' "${r#\{}"
    fi
}

# with_note RECORD: RECORD with a field 'note' whose text comes from standard
# input, without its newline.
with_note() {
    printf '%s,"note":"' "${1%\}}"
    cat
    printf '"}'
}

# cut_off: a record cut off inside a string that holds standard input.
cut_off() {
    printf '{"id":"h","note":"'
    cat
}

# make_input TOOL KIND DIR: write the input of a row into DIR. Sets BAD, the
# bad file, and OPERANDS, the files in the order they are given.
make_input() {
    local t=$1 k=$2 d=$3 g1 g2
    g1=$(good "$t" g1)
    g2=$(good "$t" g2)
    BAD="$d/in.jsonl"
    OPERANDS=("$BAD")
    case $k in
    clean | dev-full) printf '%s\n%s\n' "$g1" "$g2" >"$BAD" ;;
    empty) : >"$BAD" ;;
    blank) printf '\n   \n\t\n\n' >"$BAD" ;;
    blank-lines) printf '\n%s\n\n \t\n%s\n\n' "$g1" "$g2" >"$BAD" ;;
    crlf) printf '%s\r\n%s\r\n' "$g1" "$g2" >"$BAD" ;;
    bom) printf '\xef\xbb\xbf%s\n%s\n' "$g1" "$g2" >"$BAD" ;;
    malformed) between "$g1" "$g2" printf '{"id":"b","input":' ;;
    not-object) between "$g1" "$g2" printf '["a",1]' ;;
    wrong-type) between "$g1" "$g2" wrong_type "$t" ;;
    number) between "$g1" "$g2" printf '%s,"note":NaN}' "$(good "$t" n | sed 's/}$//')" ;;
    bad-id) between "$g1" "$g2" bad_id "$t" ;;
    huge) between "$g1" "$g2" with_note "$(good "$t" h)" <"$BATS_FILE_TMPDIR/50mb" ;;
    huge-bad) between "$g1" "$g2" cut_off <"$BATS_FILE_TMPDIR/50mb" ;;
    utf8) between "$g1" "$g2" with_note "$(good "$t" u)" < <(printf 'caf\xe9') ;;
    nul) between "$g1" "$g2" with_note "$(good "$t" n)" < <(printf 'a\0b') ;;
    missing | directory | unreadable)
        printf '%s\n' "$g1" >"$d/one.jsonl"
        printf '%s\n' "$g2" >"$d/two.jsonl"
        OPERANDS=("$d/one.jsonl" "$BAD" "$d/two.jsonl")
        [ "$k" != directory ] || mkdir "$BAD"
        if [ "$k" = unreadable ]; then
            printf '%s\n' "$g1" >"$BAD"
            chmod 000 "$BAD"
        fi
        ;;
    esac
    if [ "$t" = ev-compare ]; then
        printf '%s\n%s\n' "$(good ev-compare g1)" "$(good ev-compare g2)" >"$d/base.jsonl"
    fi
}

# between G1 G2 COMMAND...: write G1, the line COMMAND prints, and G2 to $BAD.
between() {
    local g1=$1 g2=$2
    shift 2
    { printf '%s\n' "$g1"; "$@"; printf '\n%s\n' "$g2"; } >"$BAD"
}

# command_of TOOL DIR: set CMD to the command that gives TOOL the OPERANDS,
# with the valid companions in DIR that it needs. Nothing goes to the network:
# ev-call answers with cat(1).
command_of() {
    local f
    case $1 in
    ev-split) CMD=(ev-split -q --ratio 1) ;;
    ev-score) CMD=(ev-score -q) ;;
    ev-call) CMD=(ev-call -q --no-cache -p cmd -c cat) ;;
    ev-cost) CMD=(ev-cost -q --price-in 1 --price-out 2) ;;
    ev-compare) CMD=(ev-compare -f json "$2/base.jsonl") ;;
    ev-gaps) CMD=(ev-gaps -q) ;;
    ev-curve) CMD=(ev-curve -q -f json -t 0.5) ;;
    ev-tune) CMD=(ev-tune -q --convert) ;;
    "ev-mock "*)
        CMD=(ev-mock -q)
        for f in "${OPERANDS[@]}"; do
            CMD+=("${1#ev-mock }" "$f")
        done
        return
        ;;
    esac
    CMD+=("${OPERANDS[@]}")
}

# added_field TOOL: the field TOOL adds to each record it writes, if any.
added_field() {
    case $1 in
    ev-score) echo score ;;
    ev-call) echo call ;;
    ev-cost) echo cost ;;
    ev-gaps) echo gap ;;
    esac
}

# problem TEXT: note that the current row does not hold.
problem() {
    PROBLEMS+=("$*")
}

# serve ERR IDS...: start ev-mock as CMD says, ask it the prompt of each case
# in IDS, check the answers and stop it. Sets STATUS; ERR receives its stderr.
serve() {
    local err=$1 id answer pid
    shift
    if ev_mock_start "${CMD[@]:1}" 2>/dev/null; then
        for id in "$@"; do
            answer=$(curl -sS --max-time 10 "$MOCK/v1/chat/completions" \
                -H 'content-type: application/json' \
                -d "$(jq -cn --arg c "q $id" '{model: "m", messages: [{role: "user", content: $c}]}')" |
                jq -r '.choices[0].message.content')
            [ "$answer" = "A-$id" ] || problem "asked 'q $id', got '$answer', want 'A-$id'"
        done
    else
        problem "ev-mock did not start"
    fi
    pid=${MOCK_PIDS[-1]}
    unset 'MOCK_PIDS[-1]'
    kill -TERM "$pid" 2>/dev/null
    STATUS=0
    wait "$pid" || STATUS=$?
    cp "$MOCK_ERR" "$err"
}

# check_out TOOL SPEC FILE: check the standard output FILE against SPEC.
check_out() {
    local t=$1 spec=$2 out=$3 got want field
    case $spec in
    - | serves*) ;;
    none) [ ! -s "$out" ] || problem "wrote to stdout: $(head -c 200 "$out")" ;;
    "ids "*)
        want=$(jq -cn '$ARGS.positional' --args ${spec#ids })
        got=$(jq -sc 'map(.id)' "$out" 2>&1 | head -c 300)
        [ "$got" = "$want" ] || problem "wrote the ids $got, want $want"
        field=$(added_field "$t")
        if [ -n "$field" ] && [ "$(jq -s --arg f "$field" 'all(has($f))' "$out" 2>&1)" != true ]; then
            problem "a record written lacks '$field'"
        fi
        ;;
    "jq "*)
        got=$(jq -s "${spec#jq }" "$out" 2>&1 | head -c 300)
        [ "$got" = true ] || problem "stdout is not as '${spec#jq }' says: $got"
        ;;
    *) problem "unknown stdout spec '$spec'" ;;
    esac
    if [ -s "$out" ]; then
        ! grep -q $'\r' "$out" || problem "stdout has a CR"
        [ "$(head -c 3 "$out")" != $'\xef\xbb\xbf' ] || problem "stdout starts with a byte order mark"
    fi
}

# check_err PROG SPEC FILE: check the standard error FILE against SPEC.
check_err() {
    local prog=$1 spec=$2 err=$3 want
    if [ "$spec" = - ]; then
        [ ! -s "$err" ] || problem "wrote to stderr: $(head -c 300 "$err")"
    else
        want=${spec//\{file\}/$BAD}
        grep -qF -- "$want" "$err" || problem "stderr lacks \"$want\": $(head -c 300 "$err")"
    fi
    [ "$(wc -c <"$err")" -lt 2000 ] || problem "stderr is $(wc -c <"$err") bytes long"
    ! grep -qv "^$prog: " "$err" || problem "a line of stderr does not start with '$prog: '"
}

# check_row LINE TOOL KIND EXIT STDERR STDOUT: run row LINE of the table and
# print each thing about it that does not hold. Fails when one does not.
check_row() {
    local line=$1 t=$2 k=$3 want_exit=$4 d="$ROOT/row$1" p
    PROBLEMS=()
    mkdir "$d"
    make_input "$t" "$k" "$d"
    command_of "$t" "$d"
    if [[ "$6" == serves* ]]; then
        serve "$d/err" ${6#serves}
        : >"$d/out"
    elif [ "$k" = dev-full ]; then
        STATUS=0
        timeout "$HANG" "${PRIV[@]}" "${CMD[@]}" >/dev/full 2>"$d/err" </dev/null || STATUS=$?
    else
        [ "${CMD[0]}" != ev-mock ] || CMD+=(--port 0)
        STATUS=0
        timeout "$HANG" "${PRIV[@]}" "${CMD[@]}" >"$d/out" 2>"$d/err" </dev/null || STATUS=$?
    fi
    [ "$STATUS" = "$want_exit" ] || problem "exited $STATUS, want $want_exit$([ "$STATUS" != 124 ] || echo " (timed out)")"
    check_err "${t%% *}" "$5" "$d/err"
    check_out "$t" "$6" "$d/out"
    rm -rf "$d"
    for p in "${PROBLEMS[@]}"; do
        printf 'badinput.tsv:%s: %s, %s: %s\n' "$line" "$t" "$k" "$p" >&2
    done
    [ "${#PROBLEMS[@]}" -eq 0 ]
}

# walk KIND: check every row of the table of kind KIND, in files under ROOT
# (default: the test's own directory).
walk() {
    local kind=$1 n=0 line=0 bad=0 t k e se so
    ROOT=${ROOT:-$BATS_TEST_TMPDIR}
    while IFS=$'\t' read -r -u 4 t k e se so; do
        line=$((line + 1))
        [ -n "$t" ] && [ "${t:0:1}" != "#" ] && [ "$k" = "$kind" ] || continue
        n=$((n + 1))
        check_row "$line" "$t" "$k" "$e" "$se" "$so" || bad=$((bad + 1))
    done 4<"$TABLE"
    [ "$n" -gt 0 ] || fail_with "no row of badinput.tsv is of kind '$kind'"
    [ "$bad" -eq 0 ] || fail_with "$bad of the $n rows of kind '$kind' do not hold (see above)"
}

@test "the table has one row for each tool and each kind of input, and no other" {
    local t k n
    for t in "${TOOLS[@]}"; do
        for k in "${KINDS[@]}"; do
            n=$(awk -F '\t' -v t="$t" -v k="$k" '$1 == t && $2 == k' "$TABLE" | wc -l)
            [ "$n" -eq 1 ] || fail_with "badinput.tsv has $n rows for $t, $k"
        done
    done
    n=$(grep -cv '^#' "$TABLE")
    [ "$n" -eq $((${#TOOLS[@]} * ${#KINDS[@]})) ] || fail_with "badinput.tsv has $n rows"
}

@test "clean input: every tool writes its good records" {
    walk clean
}

@test "empty input is no error and writes nothing (ev-curve: no points to fit)" {
    walk empty
}

@test "a file of blank lines reads as an empty one" {
    walk blank
}

@test "blank lines among the records are skipped" {
    walk blank-lines
}

@test "CRLF line ends are read, and never written" {
    walk crlf
}

@test "a UTF-8 byte order mark is skipped, and never written" {
    walk bom
}

@test "a malformed line is reported as file:line, the good records are kept, exit 2" {
    walk malformed
}

@test "a line that is not an object is reported as file:line, the good records are kept, exit 2" {
    walk not-object
}

@test "a field of the wrong type is reported as file:line, the good records are kept, exit 2" {
    walk wrong-type
}

@test "a number literal that is not JSON is reported as file:line, the good records are kept, exit 2" {
    walk number
}

@test "an id that is neither a string nor a number is reported as file:line by every tool, exit 2" {
    walk bad-id
}

@test "a valid 50 MB line is read and written whole" {
    walk huge
}

@test "a malformed 50 MB line is reported as file:line and quoted in part, exit 2" {
    walk huge-bad
}

@test "invalid UTF-8 is reported as file:line and never passed on, exit 2" {
    walk utf8
}

@test "a NUL byte is reported as file:line, the good records are kept, exit 2" {
    walk nul
}

@test "a missing file is reported by name, the other files are still read, exit 2" {
    walk missing
}

@test "a directory given as a file is reported by name, the other files are still read, exit 2" {
    walk directory
}

@test "an unreadable file is reported by name, the other files are still read, exit 2" {
    # The bad file has mode 000. Root reads it all the same, so as root the
    # tools run as nobody (setpriv), in a directory of their own that nobody
    # may enter: the test's own directory is root's alone.
    PUBLIC=$(mktemp -d "${TMPDIR:-/tmp}/ev-badinput.XXXXXX")
    chmod 755 "$PUBLIC"
    ROOT=$PUBLIC
    if [ "$(id -u)" -eq 0 ]; then
        command -v setpriv >/dev/null ||
            skip "as root every file is readable, and setpriv(1) is missing to run as another user"
        PRIV=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups)
    fi
    printf 'x\n' | tee "$PUBLIC/open" >"$PUBLIC/probe"
    chmod 000 "$PUBLIC/probe"
    ! "${PRIV[@]}" test -r "$PUBLIC/probe" || skip "chmod 000 does not stop $(id -un) reading a file here"
    "${PRIV[@]}" test -r "$PUBLIC/open" || skip "${PRIV[*]:-$(id -un)} cannot read files in $PUBLIC"
    "${PRIV[@]}" ev-score --version >/dev/null ||
        skip "the tools in $EV_BIN cannot be run as ${PRIV[*]:-$(id -un)}"
    walk unreadable
}

@test "a full disk is a failed write to standard output, exit 2" {
    walk dev-full
}
