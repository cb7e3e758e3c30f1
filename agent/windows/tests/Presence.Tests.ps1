# Pester 5 (Windows): presence detection and the heartbeat cadence of the Windows agent
# (agent/PROTOCOL.md, "Presence heartbeat"). The sessions are what the Remote Desktop Services API
# reports (Get-WtsSession is mocked); the S3 write is mocked.
#   Invoke-Pester agent/windows/tests
BeforeAll {
  . (Join-Path $PSScriptRoot '../autopilot-agent.ps1') # dot-sourced: defines the functions, runs nothing
  # Defined after the dot-source guard in the agent: stand-ins so that they can be mocked.
  function Resolve-Profile { }
  function Write-StoreText([string]$Rel, [string]$Text) { }
  function Write-Log([string]$Message) { }
  $Builder = 'b1'
  $PresenceSeconds = 300
  $PresenceCheckSeconds = 30
  function Session([int]$Id, [int]$State, [string]$Domain, [string]$User, [string]$Station = 'Console') {
    [pscustomobject]@{ SessionId = $Id; State = $State; Station = $Station; Domain = $Domain; UserName = $User }
  }
  # Every session of a builder nobody is using: services (session 0), the listener, and the
  # service identities that own dwm.exe / fontdrvhost.exe in each session.
  $nobody = @(
    (Session 0 4 '' '' 'Services'),
    (Session 1 0 'Window Manager' 'DWM-1'),
    (Session 1 0 'Font Driver Host' 'UMFD-1'),
    (Session 0 0 'NT AUTHORITY' 'SYSTEM'),
    (Session 2 0 'NT AUTHORITY' 'LOCAL SERVICE'),
    (Session 65536 6 '' '' 'RDP-Tcp')
  )
  $admin = Session 1 0 'EC2AMAZ-1' 'ImageBuilderAdmin'
}

Describe 'Select-InteractiveLogon' {
  It 'finds nobody in the sessions of services, the listener and service identities' {
    @(Select-InteractiveLogon $nobody).Count | Should -Be 0
  }
  It 'counts the person logged on (Administrator = ImageBuilderAdmin, Template User, Test User, a directory user)' {
    $users = Select-InteractiveLogon ($nobody + @($admin, (Session 2 0 'CORP' 'alice')))
    $users | Should -Be @('CORP\alice', 'EC2AMAZ-1\ImageBuilderAdmin')
  }
  It 'counts people, not sessions' {
    @(Select-InteractiveLogon @($admin, (Session 3 0 'EC2AMAZ-1' 'ImageBuilderAdmin'))).Count | Should -Be 1
  }
  It 'does not count a disconnected session (nobody at it)' {
    @(Select-InteractiveLogon @((Session 1 4 'EC2AMAZ-1' 'ImageBuilderAdmin'))).Count | Should -Be 0
  }
}

Describe 'New-PresenceDocument' {
  It "is the contract's body" {
    $json = New-PresenceDocument 2
    $json | Should -Match '"at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"'
    $doc = $json | ConvertFrom-Json
    @($doc.PSObject.Properties.Name) | Should -Be @('schemaVersion', 'builderName', 'agentVersion', 'at', 'users')
    $doc.schemaVersion | Should -Be 2
    $doc.builderName | Should -Be 'b1'
    $doc.agentVersion | Should -Be '2.1.0'
    $doc.users | Should -Be 2
  }
}

Describe 'Invoke-PresenceTick' {
  BeforeEach {
    $script:written = [System.Collections.Generic.List[string]]::new()
    Mock Write-StoreText { $script:written.Add($Rel) }
    $state = @{ last = $null; reported = $false }
    $t0 = [DateTime]::new(2026, 11, 26, 12, 0, 0, [DateTimeKind]::Utc)
  }
  It 'writes nothing while nobody is logged on' {
    Mock Get-WtsSession { $nobody }
    Invoke-PresenceTick $state $t0
    Invoke-PresenceTick $state $t0.AddSeconds(600)
    $script:written.Count | Should -Be 0
  }
  It 'writes presence/heartbeat.json at the first sight of a logon, then every PresenceSeconds' {
    Mock Get-WtsSession { $nobody + @($admin) }
    Invoke-PresenceTick $state $t0
    $script:written | Should -Be @('presence/heartbeat.json')
    Invoke-PresenceTick $state $t0.AddSeconds(30)
    Invoke-PresenceTick $state $t0.AddSeconds(299)
    $script:written.Count | Should -Be 1
    Invoke-PresenceTick $state $t0.AddSeconds(300)
    $script:written.Count | Should -Be 2
  }
  It 'stops when the last person logs off and writes at once at the next logon' {
    Mock Get-WtsSession { @($admin) }
    Invoke-PresenceTick $state $t0
    Mock Get-WtsSession { $nobody }
    Invoke-PresenceTick $state $t0.AddSeconds(30)
    Mock Get-WtsSession { @($admin) }
    Invoke-PresenceTick $state $t0.AddSeconds(60)
    $script:written.Count | Should -Be 2
  }
  It 'logs a failed write and retries it at the next look' {
    Mock Get-WtsSession { @($admin) }
    Mock Write-StoreText { throw 'InternalError' }
    Mock Write-Log { $null }
    Invoke-PresenceTick $state $t0
    Should -Invoke Write-Log -ParameterFilter { $Message -like 'presence: heartbeat not written*' }
    Mock Write-StoreText { $script:written.Add($Rel) }
    Invoke-PresenceTick $state $t0.AddSeconds(30)
    $script:written.Count | Should -Be 1
  }
}
