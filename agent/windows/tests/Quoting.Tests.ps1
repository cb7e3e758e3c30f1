# Pester 5 (Windows, or pwsh anywhere): the quoting cases shared with test/agent/*.test.ts.
#   Invoke-Pester agent/windows/tests
BeforeDiscovery {
  $cases = (Get-Content -Raw -Encoding UTF8 (Join-Path $PSScriptRoot '../../testdata/quoting-cases.json') | ConvertFrom-Json).cases
}
BeforeAll {
  . (Join-Path $PSScriptRoot '../autopilot-agent.ps1') # dot-sourced: defines the functions, runs nothing
}
Describe 'ConvertTo-WindowsArgument (agent/testdata/quoting-cases.json)' {
  It '<name>' -ForEach $cases {
    (@($_.argv | ForEach-Object { ConvertTo-WindowsArgument $_ }) -join ' ') | Should -BeExactly $_.commandLine
  }
}
Describe 'documents' {
  It 'writes UTF-8 without a BOM and reads one with a BOM' {
    $path = Join-Path ([System.IO.Path]::GetTempPath()) 'autopilot-bom-test.json'
    Write-Utf8File $path '{"a":1}'
    [System.IO.File]::ReadAllBytes($path)[0] | Should -Be ([byte][char]'{')
    [System.IO.File]::WriteAllText($path, '{"a":1}', (New-Object System.Text.UTF8Encoding($true)))
    (Read-Utf8File $path) | Should -BeExactly '{"a":1}'
    Remove-Item $path
  }
}
