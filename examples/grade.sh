#!/bin/sh
# A stand-in judge model for 'ev-score --judge fact', run by ev-call's cmd
# provider once per prompt: it reads the judge prompt on standard input and
# answers A (same facts) when the OUTPUT equals the EXPECTED answer, ignoring
# case, and E (contradiction) otherwise.
exec awk '
  /^<<<EXPECTED>>>$/ { part = "e"; next }
  /^<<<OUTPUT>>>$/   { part = "o"; next }
  /^<<<END>>>$/      { part = ""; next }
  part == "e" { e = e tolower($0) }
  part == "o" { o = o tolower($0) }
  END { print (e == o ? "A" : "E") }'
