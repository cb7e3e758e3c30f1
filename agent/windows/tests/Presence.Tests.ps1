# Pester 5 (Windows): presence detection, idle detection and the heartbeat cadence of the Windows agent
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
  $PresenceIdleSeconds = 1800
  # A session as Get-WtsSession reports it. -LastInput / -Logon / -Current: the WTSINFOW times
  # (UTC [DateTime]; $null = not reported, a FILETIME of 0).
  function Session([int]$Id, [int]$State, [string]$Domain, [string]$User, [string]$Station = 'Console',
    $LastInput = $null, $Logon = $null, $Current = $null) {
    [pscustomobject]@{
      SessionId = $Id; State = $State; Station = $Station; Domain = $Domain; UserName = $User
      LastInputTime = $LastInput; LogonTime = $Logon; CurrentTime = $Current
    }
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

Describe 'ConvertFrom-FileTime' {
  It 'reads a FILETIME (100 ns since 1601 UTC) as UTC and 0 as not reported' {
    $t = [DateTime]::new(2026, 11, 26, 12, 0, 0, [DateTimeKind]::Utc)
    ConvertFrom-FileTime ([string]$t.ToFileTimeUtc()) | Should -Be $t
    ConvertFrom-FileTime '0' | Should -BeNullOrEmpty
    ConvertFrom-FileTime '' | Should -BeNullOrEmpty
  }
}

# A logon counts only while it had user input within PresenceIdleSeconds (WTSINFOW LastInputTime
# against CurrentTime); without a LastInputTime, only within PresenceIdleSeconds of its logon or
# of the last input seen.
Describe 'Select-PresentLogon' {
  BeforeEach {
    $state = @{ last = $null; reported = $false }
    $t0 = [DateTime]::new(2026, 11, 26, 12, 0, 0, [DateTimeKind]::Utc)
    $logon = $t0.AddHours(-3)
  }
  It 'counts a logon with input within PresenceIdleSeconds, not one idle for longer' {
    $busy = Session 1 0 'EC2AMAZ-1' 'ImageBuilderAdmin' -LastInput $t0.AddSeconds(-60) -Logon $logon -Current $t0
    $idle = Session 2 0 'CORP' 'alice' -LastInput $t0.AddSeconds(-1801) -Logon $logon -Current $t0
    Select-PresentLogon ($nobody + @($busy, $idle)) $state $t0 | Should -Be @('EC2AMAZ-1\ImageBuilderAdmin')
  }
  It "measures idle time on the session's own clock (CurrentTime), not the agent's" {
    # The WTS times are 2 h behind the agent's clock: 10 minutes idle all the same.
    $s = Session 1 0 'EC2AMAZ-1' 'ImageBuilderAdmin' -LastInput ($t0.AddHours(-2).AddMinutes(-10)) -Logon $logon -Current ($t0.AddHours(-2))
    @(Select-PresentLogon @($s) $state $t0).Count | Should -Be 1
  }
  It 'never counts a session the selection of logons leaves out, however recent its input' {
    $s = Session 1 4 'EC2AMAZ-1' 'ImageBuilderAdmin' -LastInput $t0 -Logon $logon -Current $t0 # disconnected
    @(Select-PresentLogon @($s) $state $t0).Count | Should -Be 0
  }
  It 'counts a session without LastInputTime only within PresenceIdleSeconds of its logon' {
    $fresh = Session 1 0 'EC2AMAZ-1' 'ImageBuilderAdmin' -Logon $t0.AddSeconds(-600) -Current $t0
    @(Select-PresentLogon @($fresh) $state $t0).Count | Should -Be 1
    $state.fallback | Should -Be @('EC2AMAZ-1\ImageBuilderAdmin')
    @(Select-PresentLogon @($fresh) $state $t0.AddSeconds(1199)).Count | Should -Be 1
    @(Select-PresentLogon @($fresh) $state $t0.AddSeconds(1200)).Count | Should -Be 0 # 1800 s after logon
  }
  It 'without LastInputTime, counts from the last input seen in that session, never longer' {
    $key = Session 1 0 'EC2AMAZ-1' 'ImageBuilderAdmin' -LastInput $t0.AddSeconds(-5) -Logon $logon -Current $t0
    @(Select-PresentLogon @($key) $state $t0).Count | Should -Be 1
    $unknown = Session 1 0 'EC2AMAZ-1' 'ImageBuilderAdmin' -Logon $logon -Current $t0.AddSeconds(60)
    @(Select-PresentLogon @($unknown) $state $t0.AddSeconds(60)).Count | Should -Be 1
    @(Select-PresentLogon @($unknown) $state $t0.AddSeconds(1794)).Count | Should -Be 1
    @(Select-PresentLogon @($unknown) $state $t0.AddSeconds(1795)).Count | Should -Be 0
  }
  It 'without LastInputTime nor LogonTime, counts from the first sight of the session' {
    $bare = Session 1 0 'EC2AMAZ-1' 'ImageBuilderAdmin'
    @(Select-PresentLogon @($bare) $state $t0).Count | Should -Be 1
    @(Select-PresentLogon @($bare) $state $t0.AddSeconds(1799)).Count | Should -Be 1
    @(Select-PresentLogon @($bare) $state $t0.AddSeconds(1800)).Count | Should -Be 0
  }
}

Describe 'Invoke-PresenceTick with idle logons' {
  BeforeEach {
    $script:written = [System.Collections.Generic.List[string]]::new()
    Mock Write-StoreText { $script:written.Add($Rel) }
    Mock Write-Log { $null }
    $state = @{ last = $null; reported = $false }
    $t0 = [DateTime]::new(2026, 11, 26, 12, 0, 0, [DateTimeKind]::Utc)
  }
  It 'stops the heartbeats when the logon has had no input for PresenceIdleSeconds, and resumes at the next input' {
    $at = { param($now, $lastInput) Session 1 0 'EC2AMAZ-1' 'ImageBuilderAdmin' -LastInput $lastInput -Logon ($t0.AddHours(-1)) -Current $now }
    Mock Get-WtsSession { & $at $t0 $t0 }
    Invoke-PresenceTick $state $t0
    $script:written.Count | Should -Be 1
    Mock Get-WtsSession { & $at $t0.AddSeconds(1900) $t0 } # the tab was closed at t0
    Invoke-PresenceTick $state $t0.AddSeconds(1900)
    Should -Invoke Write-Log -ParameterFilter { $Message -like 'presence: logged on (EC2AMAZ-1\ImageBuilderAdmin) but no input for 1800s*' }
    Invoke-PresenceTick $state $t0.AddSeconds(2500)
    $script:written.Count | Should -Be 1
    Mock Get-WtsSession { & $at $t0.AddSeconds(2600) $t0.AddSeconds(2590) } # input again
    Invoke-PresenceTick $state $t0.AddSeconds(2600)
    $script:written.Count | Should -Be 2
  }
}
