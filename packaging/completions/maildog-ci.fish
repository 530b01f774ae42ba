# fish completion for maildog-ci, installed as share/fish/vendor_completions.d/maildog-ci.fish.
# Licensed under Apache-2.0.
# tests/ci/completions.py fails when a subcommand or long option of `--help` is missing here.

set -l commands run validate check keygen sign merge explain serve healthcheck record

# Scenario paths: folders and *.yaml, *.yml files under what is typed so far.
function __maildog_ci_scenarios
    set -l token (commandline -ct)
    for path in $token*
        if test -d $path
            echo $path/
        else if string match -qr '\.ya?ml$' -- $path
            echo $path
        end
    end
end

complete -c maildog-ci -f
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'Print the commands and exit'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -l version -d 'Print the version and exit'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a run -d 'Run scenarios and check their expectations'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a validate -d 'Check scenario files; run nothing'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a check -d 'SPF, DKIM, DMARC, iprev, DNSBL on one message'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a keygen -d 'Make a DKIM key pair'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a sign -d 'DKIM-sign a message'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a merge -d 'Merge the JSON reports of shards'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a explain -d 'Explain an SMTP reply or bounce'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a serve -d 'Run a long-lived SMTP sandbox'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a healthcheck -d 'Check that a serve instance answers'
complete -c maildog-ci -n "not __fish_seen_subcommand_from $commands" -a record -d 'Record a real server through an SMTP proxy'

# Every command takes --help.
complete -c maildog-ci -n "__fish_seen_subcommand_from $commands" -s h -l help -d 'Print help'

# Scenario files and folders for run and validate.
complete -c maildog-ci -n '__fish_seen_subcommand_from run validate' -a '(__maildog_ci_scenarios)'

# run
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -s j -l jobs -x -d 'Scenarios run in parallel'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l junit -r -F -d 'Write a JUnit XML report'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l json -r -F -d 'Write a JSON report'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l html -r -F -d 'Write a self-contained HTML report'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l artifacts -x -a '(__fish_complete_directories)' -d 'Write transcripts and messages here'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l filter -x -d 'Only scenarios whose name matches this regex'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l tag -x -d 'Only scenarios with this tag'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l fail-fast -d 'Start no new scenario after the first failure'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l timeout -x -d 'App timeout in seconds'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l seed -x -d 'Seed for the scenarios that set none'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l ca-file -r -F -d "Write the run's CA certificate here"
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l update-golden -d 'Rewrite golden transcript files'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l shard -x -d 'Run only shard K of N (K/N)'
complete -c maildog-ci -n '__fish_seen_subcommand_from run' -l no-color -d 'No colours in the console report'

# check
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -F
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l client-ip -x -d "The connecting client's IP address"
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l helo -x -d 'The HELO/EHLO name'
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l mail-from -x -d 'The MAIL FROM address'
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l receiver -x -d 'The receiving host (authserv-id)'
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l dns -x -a '(__maildog_ci_scenarios)' -d 'DNS fixture file (YAML)'
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l live -d 'Use real DNS'
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l dnsbl -x -d 'A DNSBL zone to query'
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l json -d 'Print the results as JSON'
complete -c maildog-ci -n '__fish_seen_subcommand_from check' -l no-ptr -d 'Skip the iprev check'

# keygen
complete -c maildog-ci -n '__fish_seen_subcommand_from keygen' -l type -l algorithm -x -a 'rsa ed25519' -d 'Key algorithm'
complete -c maildog-ci -n '__fish_seen_subcommand_from keygen' -l bits -x -a '1024 2048 3072 4096' -d 'RSA key size'
complete -c maildog-ci -n '__fish_seen_subcommand_from keygen' -l selector -x -d 'The selector (s=)'
complete -c maildog-ci -n '__fish_seen_subcommand_from keygen' -l domain -x -d 'The signing domain (d=)'
complete -c maildog-ci -n '__fish_seen_subcommand_from keygen' -l out -r -F -d 'Path prefix of the private key file'

# sign
complete -c maildog-ci -n '__fish_seen_subcommand_from sign' -F
complete -c maildog-ci -n '__fish_seen_subcommand_from sign' -l key -r -F -d 'The private key file'
complete -c maildog-ci -n '__fish_seen_subcommand_from sign' -l selector -x -d 'The selector (s=)'
complete -c maildog-ci -n '__fish_seen_subcommand_from sign' -l domain -x -d 'The signing domain (d=)'
complete -c maildog-ci -n '__fish_seen_subcommand_from sign' -l type -l algorithm -x -a 'rsa ed25519' -d 'Key algorithm'
complete -c maildog-ci -n '__fish_seen_subcommand_from sign' -l headers -x -d 'Header names to sign, colon-separated'
complete -c maildog-ci -n '__fish_seen_subcommand_from sign' -l canonicalization -x -a 'relaxed/relaxed relaxed/simple simple/relaxed simple/simple' -d 'header/body canonicalization'
complete -c maildog-ci -n '__fish_seen_subcommand_from sign' -l out -r -F -d 'Write the signed message here'

# merge
complete -c maildog-ci -n '__fish_seen_subcommand_from merge' -a '(__fish_complete_suffix .json)'
complete -c maildog-ci -n '__fish_seen_subcommand_from merge' -l junit -r -F -d 'Write the merged JUnit XML report'
complete -c maildog-ci -n '__fish_seen_subcommand_from merge' -l json -r -F -d 'Write the merged JSON report'
complete -c maildog-ci -n '__fish_seen_subcommand_from merge' -l html -r -F -d 'Write the merged HTML report'

# explain
complete -c maildog-ci -n '__fish_seen_subcommand_from explain' -l json -d 'Print JSON'

# serve
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l config -x -a '(__maildog_ci_scenarios)' -d 'YAML file with server: and dns:'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l smtp-port -x -d 'SMTP port (0: any free one)'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l data -x -a '(__fish_complete_directories)' -d 'Folder for the SQLite store'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l keep -x -d 'Keep the newest N messages'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l keep-refused -x -d 'Keep the newest N refused attempts'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l bind -x -d 'Address to listen on'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l smtp-bind -x -d 'Address for SMTP only'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l http-bind -x -d 'Address for the HTTP API only'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l http-port -x -d 'HTTP API and inspector port'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l api-token -x -d 'Bearer token the HTTP API requires'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l allowed-host -x -d 'Also serve HTTP requests with this Host'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l max-sandboxes -x -d 'Sandboxes the API may have at once'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l ready-file -r -F -d 'Write the ready JSON line here once listening'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l print-ready-json -d 'Print the ready JSON line first on stdout'
complete -c maildog-ci -n '__fish_seen_subcommand_from serve' -l http-max-connections -x -d 'Open HTTP connections at once (503 beyond)'

# healthcheck
complete -c maildog-ci -n '__fish_seen_subcommand_from healthcheck' -l url -x -d "Base URL of serve's HTTP API"
complete -c maildog-ci -n '__fish_seen_subcommand_from healthcheck' -l timeout -x -d 'Seconds to wait in all'
complete -c maildog-ci -n '__fish_seen_subcommand_from healthcheck' -l api-token -x -d 'Bearer token to send'

# record
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l listen -x -d 'Where the app connects (HOST:PORT)'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l upstream -x -d 'The real server (HOST:PORT)'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l upstream-tls -x -a 'starttls implicit none' -d 'TLS to the upstream'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l upstream-ca -r -F -d 'CA file the upstream is checked against'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l insecure -d 'Do not check the upstream certificate'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -s o -l output -r -F -d 'The scenario to write'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l sessions -x -d 'Stop after this many sessions'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l keep-bodies -d 'Keep message bodies in the transcript file'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l app -x -d "The scenario's app.run"
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l transcript -r -F -d 'Write the recorded transcript as JSON'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l ca-file -r -F -d "Where to write the proxy's CA certificate"
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l timeout -x -d 'Seconds each read, write and connect may take'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l force -d 'Replace the output file'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l probe -x -d 'Probe this inbound server instead (HOST:PORT)'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l rcpt -x -d 'A recipient the probe asks about'
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l mail-from -x -d "The probe's sender"
complete -c maildog-ci -n '__fish_seen_subcommand_from record' -l tls -x -a 'starttls implicit none' -d "The probe's TLS"
