#!/bin/sh
# A cmd scorer for ev-score(1): it reads one record per line and answers one
# judgement per line, for as long as its input lasts. This one passes an
# output that matches the expected answer when case and blanks are ignored.
exec jq -c --unbuffered '
  def norm: tostring | ascii_downcase | gsub("^\\s+|\\s+$"; "");
  if has("output") | not then {pass: false, reason: "no output"}
  elif (.output | norm) == (.expected | norm) then {pass: true, reason: "same answer"}
  else {pass: false, reason: "different answer"} end'
