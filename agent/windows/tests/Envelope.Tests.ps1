# Pester 5: the job documents of agent/testdata/envelope-cases.json (shared with the bash agent's
# test) are accepted or refused by Test-JobDocument exactly as the data says.
#   Invoke-Pester agent/windows/tests
BeforeDiscovery {
  $data = Get-Content -Raw -Encoding UTF8 (Join-Path $PSScriptRoot '../../testdata/envelope-cases.json') | ConvertFrom-Json
  $cases = $data.cases
}
BeforeAll {
  . (Join-Path $PSScriptRoot '../autopilot-agent.ps1') # dot-sourced: defines the functions, runs nothing
  $data = Get-Content -Raw -Encoding UTF8 (Join-Path $PSScriptRoot '../../testdata/envelope-cases.json') | ConvertFrom-Json
  $Builder = $data.builderName
  $PublicKey = Join-Path ([System.IO.Path]::GetTempPath()) 'autopilot-envelope-cases.pem'
  Write-Utf8File $PublicKey $data.publicKeyPem
}
Describe 'Test-JobDocument (agent/testdata/envelope-cases.json)' {
  It '<name>' -ForEach $cases {
    # As the agent reads it: the document's bytes from a file, BOM stripped.
    $file = Join-Path ([System.IO.Path]::GetTempPath()) "autopilot-$($_.jobId).json"
    Write-Utf8File $file $_.document
    $check = Test-JobDocument $_.jobId (Read-Utf8File $file)
    if ($_.expect -eq 'ok') { $check.ok | Should -BeTrue }
    else { $check.ok | Should -BeFalse; $check.reason | Should -BeLike "$($_.expect):*" }
  }
}
