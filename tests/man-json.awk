# man-json.awk: reads a man page as rendered (mandoc, col -b) and prints
# each JSON fragment that did not come out as written, with why; exits 1
# when there is one. A fragment starts at '{"' and ends where its braces
# close or its line ends. It may be a sketch, with words for values
# ({"model": string}), names without values ({"id", "object"}), optional
# keys ({"n"?: 1}) and alternatives ({"a" | "b"}), but a key is a string
# without a colon, a colon follows a key, and a string is followed by ':',
# ',', '}', ']', '?', '|' or '.': what an mdoc macro line that took a '"' for
# its own quoting breaks.
function bad(why) { print NR ": " why ": " substr($0, start); nbad++ }
{
    line = $0
    n = length(line)
    i = 1
    while ((p = index(substr(line, i), "{\"")) > 0) {
        start = i + p - 1
        i = start
        depth = 0; instr = 0; last = ""; keypos = 0; str = ""; ok = 1
        stack = ""
        for (; i <= n; i++) {
            c = substr(line, i, 1)
            if (instr) {
                if (c == "\\") { str = str c substr(line, i + 1, 1); i++; continue }
                if (c == "\"") {
                    instr = 0
                    if (keypos && index(str, ":") > 0) { bad("a key holds a colon"); ok = 0; break }
                    last = "string"
                    continue
                }
                str = str c
                continue
            }
            if (c == " ") continue
            if (last == "string" && c == "?") continue  # an optional key: "n"?: 1
            if (last == "string" && c == "|") { last = "|"; continue }  # "a" | "b"
            if (c == "\"") {
                if (last == "string") { bad("a string follows a string"); ok = 0; break }
                keypos = (last == "{" || last == ",") && substr(stack, length(stack)) == "{"
                instr = 1; str = ""
                continue
            }
            if (last == "string" && c !~ /[:,}\]?.]/) { bad("a string is followed by '" c "'"); ok = 0; break }
            if (c == ":" && last != "string") { bad("a colon follows no key"); ok = 0; break }
            if (c == "{" || c == "[") { stack = stack c; depth++ }
            if (c == "}" || c == "]") { stack = substr(stack, 1, length(stack) - 1); depth-- }
            last = c ~ /[{}\[\],:]/ ? c : "word"
            if (depth == 0) break
        }
        if (ok && instr) bad("a string is not closed")
        i++
    }
}
END { exit nbad > 0 }
