<#
.SYNOPSIS
  appstream-autopilot pull agent for Windows image builders (agent protocol 2).

.DESCRIPTION
  The Windows twin of agent/linux/autopilot-agent.sh; both implement agent/PROTOCOL.md and behave
  the same way. Polls s3://<Bucket>/<Prefix>/<builder>/jobs/ for signed job envelopes, verifies
  each with the baked public key, refuses unsigned, tampered, expired, foreign and unknown-schema
  jobs (result "refused" + reason), claims a job and renews its lease every heartbeatSeconds, runs
  its steps in order (each argv turned into one command line with the CommandLineToArgvW quoting
  rules: agent/testdata/quoting-cases.json), resolves {{secret:NAME}} on the builder and redacts
  it from captured output (a step's env, set for that process only, is the recommended way to
  pass a secret: a command line shows in process listings and 4688 / script-block audit logs),
  keeps local state so a job resumes after a reboot, and writes
  results/<jobId>.json (UTF-8 without BOM). Beside the job loop (in its own runspace, so a long
  step never delays it), it reports interactive logons as presence/heartbeat.json every
  -PresenceSeconds while someone is logged on and had input within -PresenceIdleSeconds
  (agent/PROTOCOL.md, "Presence heartbeat").

  Runs only on image builders (AppStream_Resource_Type imagebuilder or image-builder: AWS
  documents both spellings). Credentials: the appstream_machine_role profile that AppStream
  creates on the instance, or the default chain when the profile is absent. Needs Windows
  PowerShell 5.1+ and the AWS Tools for PowerShell (AWS.Tools.S3 / SimpleSystemsManagement /
  SecretsManager, or the AWSPowerShell module, 3.3.563.1 or later for -ProfileName
  appstream_machine_role). Register it with install-agent.ps1.
#>
param(
  [string]$Bucket,
  [string]$Prefix = 'autopilot-agent',
  [string]$Region,
  [string]$PublicKey,
  [string]$StateDir,
  [int]$PollSeconds = 20,
  [string]$Builder,
  [string]$ImageAssistant = 'C:\Program Files\Amazon\Photon\ConsoleImageBuilder\image-assistant.exe',
  [string]$ProfileName = 'appstream_machine_role',
  # A shared credentials file holding that profile, when SYSTEM does not find it by default
  # (AWS does not document which account's store AppStream writes it to: agent/README.md).
  [string]$ProfileLocation,
  [int]$EnvWaitSeconds = 900,
  [double]$BackoffBaseSeconds = 5,
  [double]$BackoffMaxSeconds = 300,
  [int]$RebootGraceSeconds = 1200,
  [int]$RebootSettleSeconds = 60,
  # Presence heartbeat cadence while someone is logged on (0 turns it off), and how often logons
  # are looked for (a new logon is reported within that time; never less often than the cadence).
  [int]$PresenceSeconds = 300,
  [double]$PresenceCheckSeconds = 30,
  # A logon counts only while it had user input within this time: a desktop left open after the
  # streaming tab was closed sends nothing.
  [int]$PresenceIdleSeconds = 1800,
  [int]$Polls = 0,
  [switch]$Once,
  # Internal: the presence runspace the agent starts runs this script with -PresenceLoop.
  [switch]$PresenceLoop
)

$ErrorActionPreference = 'Stop'
$AgentVersion = '2.1.0'
$script:AgentParameters = @{} + $PSBoundParameters
$Protocol = 2
$SigningAlgorithm = 'RSASSA_PKCS1_V1_5_SHA_256'
$OutputLimit = 4000
$Utf8NoBom = New-Object System.Text.UTF8Encoding($false)

$script:LogFile = $null
function Write-Log([string]$Message) {
  $line = '{0} autopilot-agent: {1}' -f [DateTime]::UtcNow.ToString('s'), $Message
  Write-Host $line
  if ($script:LogFile) { try { [System.IO.File]::AppendAllText($script:LogFile, "$line`r`n", $Utf8NoBom) } catch { } }
}
function Get-Now { return [DateTime]::UtcNow.ToString('yyyy-MM-dd\THH:mm:ss.fff\Z') }

# Quotes one argument for CommandLineToArgvW: backslashes are literal unless they precede a
# double quote, in which case they are doubled; quotes are escaped; empty or spaced args quoted.
# Cases: agent/testdata/quoting-cases.json (agent/windows/tests/Quoting.Tests.ps1).
function ConvertTo-WindowsArgument([string]$Arg) {
  if ($Arg.Length -gt 0 -and $Arg -notmatch '[\s"]') { return $Arg }
  $sb = New-Object System.Text.StringBuilder
  [void]$sb.Append('"')
  $backslashes = 0
  foreach ($c in $Arg.ToCharArray()) {
    if ($c -eq '\') { $backslashes++; continue }
    if ($c -eq '"') { [void]$sb.Append('\' * ($backslashes * 2 + 1)); [void]$sb.Append('"') }
    else { [void]$sb.Append('\' * $backslashes); [void]$sb.Append($c) }
    $backslashes = 0
  }
  [void]$sb.Append('\' * ($backslashes * 2))
  [void]$sb.Append('"')
  return $sb.ToString()
}

# Documents: UTF-8 without BOM when writing (Set-Content -Encoding UTF8 writes a BOM under
# Windows PowerShell 5.1); a BOM is stripped when reading.
function Write-Utf8File([string]$Path, [string]$Text) { [System.IO.File]::WriteAllText($Path, $Text, $Utf8NoBom) }
function Read-Utf8File([string]$Path) {
  $text = [System.IO.File]::ReadAllText($Path, $Utf8NoBom)
  if ($text.Length -gt 0 -and $text[0] -eq [char]0xFEFF) { $text = $text.Substring(1) }
  return $text
}
function ConvertTo-Document($Value) { return ($Value | ConvertTo-Json -Depth 12 -Compress) }

# --- signature: RSA PKCS#1 v1.5 over SHA-256 with the baked SPKI PEM, on .NET Framework 4.x ----
function Read-DerLength([byte[]]$Der, [ref]$At) {
  $len = [int]$Der[$At.Value]; $At.Value++
  if ($len -band 0x80) {
    $n = $len -band 0x7f; $len = 0
    for ($k = 0; $k -lt $n; $k++) { $len = $len * 256 + $Der[$At.Value]; $At.Value++ }
  }
  return $len
}
function Read-DerInteger([byte[]]$Der, [ref]$At) {
  if ($Der[$At.Value] -ne 0x02) { throw 'public key: INTEGER expected' }
  $At.Value++
  $len = Read-DerLength $Der $At
  $start = $At.Value; $At.Value += $len
  while ($len -gt 1 -and $Der[$start] -eq 0) { $start++; $len-- } # drop the sign byte
  return [byte[]]$Der[$start..($start + $len - 1)]
}
function Get-RsaPublicKey([string]$PemPath) {
  $pem = Read-Utf8File $PemPath
  $b64 = ($pem -replace '-----[A-Z ]+-----', '') -replace '\s', ''
  $der = [Convert]::FromBase64String($b64)
  $at = 0
  # SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { rsaEncryption OID, NULL }, BIT STRING { RSAPublicKey } }
  if ($der[$at] -ne 0x30) { throw 'public key: SEQUENCE expected' }; $at++; [void](Read-DerLength $der ([ref]$at))
  if ($der[$at] -ne 0x30) { throw 'public key: algorithm SEQUENCE expected' }; $at++
  $algLen = Read-DerLength $der ([ref]$at); $at += $algLen
  if ($der[$at] -ne 0x03) { throw 'public key: BIT STRING expected' }; $at++; [void](Read-DerLength $der ([ref]$at)); $at++
  if ($der[$at] -ne 0x30) { throw 'public key: RSAPublicKey SEQUENCE expected' }; $at++; [void](Read-DerLength $der ([ref]$at))
  $params = New-Object System.Security.Cryptography.RSAParameters
  $params.Modulus = Read-DerInteger $der ([ref]$at)
  $params.Exponent = Read-DerInteger $der ([ref]$at)
  $rsa = New-Object System.Security.Cryptography.RSACryptoServiceProvider
  $rsa.ImportParameters($params)
  return $rsa
}

# Returns @{ ok = $true; job = <payload> } or @{ ok = $false; reason = '<code>: <text>' }.
function Test-JobDocument([string]$Id, [string]$Text) {
  function Refuse([string]$Reason) { return @{ ok = $false; reason = $Reason } }
  try { $envelope = $Text | ConvertFrom-Json } catch { return Refuse 'malformed: the job document is not a JSON object' }
  if ($null -eq $envelope -or $envelope -is [array] -or $envelope -is [string] -or $envelope -is [ValueType]) { return Refuse 'malformed: the job document is not a JSON object' }
  $sv = if ($null -ne $envelope.schemaVersion) { $envelope.schemaVersion } else { 'none' }
  if ("$sv" -ne "$Protocol") { return Refuse "unknown-schema: job schemaVersion $sv; this agent ($AgentVersion) speaks agent protocol $Protocol" }
  if (-not $envelope.payload -or -not $envelope.signature) { return Refuse 'unsigned: the job has no signed envelope (payload + signature)' }
  if ($envelope.algorithm -ne $SigningAlgorithm) { return Refuse "bad-signature: unsupported signing algorithm '$($envelope.algorithm)' (expected $SigningAlgorithm)" }
  if (-not (Test-Path -LiteralPath $PublicKey)) { return Refuse "bad-signature: no public key at $PublicKey to verify the job with" }
  $valid = $false
  try {
    $payload = [Convert]::FromBase64String($envelope.payload)
    $signature = [Convert]::FromBase64String($envelope.signature)
    $valid = (Get-RsaPublicKey $PublicKey).VerifyData($payload, 'SHA256', $signature)
  } catch { $valid = $false }
  if (-not $valid) { return Refuse "bad-signature: the signature does not verify with $PublicKey (not signed by this pipeline, or altered)" }
  try { $job = [System.Text.Encoding]::UTF8.GetString($payload) | ConvertFrom-Json } catch { return Refuse 'malformed: the signed payload is not a JSON object' }
  if ($null -eq $job -or $job -is [array] -or $job -is [string] -or $job -is [ValueType]) { return Refuse 'malformed: the signed payload is not a JSON object' }
  $sv = if ($null -ne $job.schemaVersion) { $job.schemaVersion } else { 'none' }
  if ("$sv" -ne "$Protocol") { return Refuse "unknown-schema: job payload schemaVersion $sv; this agent speaks agent protocol $Protocol" }
  if ($job.jobId -ne $Id) { return Refuse "malformed: the signed jobId is not '$Id' (the document's name)" }
  if ($job.builderName -ne $Builder) { return Refuse "foreign-builder: the job is for image builder '$($job.builderName)', not '$Builder'" }
  # PowerShell 7's ConvertFrom-Json turns ISO strings into DateTime; 5.1 leaves strings.
  try {
    $expires = if ($job.expiresAt -is [DateTime]) { $job.expiresAt.ToUniversalTime() } else {
      [DateTime]::Parse([string]$job.expiresAt, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::AdjustToUniversal) }
  } catch { return Refuse "malformed: expiresAt '$($job.expiresAt)' is not a time" }
  if ($expires -le [DateTime]::UtcNow) { return Refuse "expired: the job expired at $($job.expiresAt)" }
  $steps = @($job.steps)
  if ($steps.Count -eq 0) { return Refuse "malformed: the job's steps break the schema" }
  foreach ($s in $steps) {
    if (-not $s.id -or ($s.kind -ne 'command' -and $s.kind -ne 'image-assistant') -or @($s.argv).Count -eq 0) {
      return Refuse "malformed: the job's steps break the schema"
    }
    if ($null -ne $s.env) {
      if ($s.env -isnot [System.Management.Automation.PSCustomObject]) { return Refuse "malformed: the job's steps break the schema" }
      foreach ($p in $s.env.PSObject.Properties) {
        if ($p.Name -notmatch '^[A-Za-z_][A-Za-z0-9_]*$' -or $p.Value -isnot [string]) { return Refuse "malformed: the job's steps break the schema" }
      }
    }
  }
  return @{ ok = $true; job = $job }
}

# --- presence: interactive logons (agent/PROTOCOL.md, "Presence heartbeat") --------------------
# Who logs on to a Windows image builder: AWS: "on the Local User tab, choose one of the following:
# Administrator ... Template User ... Test User", or on a domain-joined builder "the Directory User
# tab" with a domain account (Administration Guide, "Connect to an Image Builder" / "Streaming
# URL"); the Administrator choice is the local account ImageBuilderAdmin ("Choose
# ImageBuilderAdmin, Sign out. When prompted, log in as Administrator", "Tutorial: Enable
# Japanese Support"). Whoever it is, they get a Windows logon session in the streaming (NICE DCV)
# connection. What counts, from the Remote Desktop Services API (WTSEnumerateSessions +
# WTSQuerySessionInformation: the data `quser` shows, but not localized): a session other than
# session 0 (services), in state WTSActive (a disconnected session, quser "Disc", has nobody at
# it), with a user name that is not a service identity: SYSTEM, LOCAL SERVICE, NETWORK SERVICE
# (NT AUTHORITY), DWM-n (Window Manager) and UMFD-n (Font Driver Host), which own dwm.exe and
# fontdrvhost.exe in every session. `users` = distinct DOMAIN\user.
#
# A logon counts as a person at the builder only while it had user input within
# PresenceIdleSeconds (a desktop left open after the streaming tab was closed must not keep the
# builder alive): WTSQuerySessionInformationW(WTSSessionInfo = 24) returns a WTSINFOW whose
# LastInputTime ("The time of the last user input in the session") and CurrentTime ("The time
# that the WTSINFO data structure was called") are FILETIMEs (100 ns since 1601-01-01 UTC); idle =
# CurrentTime - LastInputTime, both from the same call, so the clocks agree. WTSINFOW layout
# (wtsapi32.h; WINSTATIONNAME_LENGTH 32, DOMAIN_LENGTH 17, USERNAME_LENGTH 20; LARGE_INTEGER is
# 8-byte aligned), the offsets read here: State 0, SessionId 4, six DWORD counters 8..31,
# WinStationName WCHAR[32] 32..95, Domain WCHAR[17] 96..129, UserName WCHAR[21] 130..171,
# padding 172..175, ConnectTime 176, DisconnectTime 184, LastInputTime 192, LogonTime 200,
# CurrentTime 208; 216 bytes in all (a shorter answer is not read). Fallback when a session
# reports no LastInputTime (0: e.g. a disconnected session, or the query fails): unknown, and
# counted only within PresenceIdleSeconds of the later of its LogonTime (else the agent's first
# sight of it) and the last input seen in it, never for as long as it stays open.
function Get-WtsSession {
  # One "id<TAB>state<TAB>station<TAB>domain<TAB>user<TAB>lastInput<TAB>logon<TAB>current" line
  # per session (FILETIMEs, 0 = not reported), WTS_CURRENT_SERVER_HANDLE.
  if (-not ('Autopilot.Wts' -as [type])) {
    Add-Type -Namespace Autopilot -Name Wts -UsingNamespace System.Collections.Generic -MemberDefinition @'
[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
private struct WTS_SESSION_INFO { public int SessionId; public IntPtr pWinStationName; public int State; }
[DllImport("wtsapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
private static extern bool WTSEnumerateSessionsW(IntPtr server, int reserved, int version, out IntPtr info, out int count);
[DllImport("wtsapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
private static extern bool WTSQuerySessionInformationW(IntPtr server, int sessionId, int infoClass, out IntPtr buffer, out int bytes);
[DllImport("wtsapi32.dll")]
private static extern void WTSFreeMemory(IntPtr memory);
private static string Query(int id, int infoClass) {
  IntPtr buffer; int bytes;
  if (!WTSQuerySessionInformationW(IntPtr.Zero, id, infoClass, out buffer, out bytes)) return "";
  try { return Marshal.PtrToStringUni(buffer) ?? ""; } finally { WTSFreeMemory(buffer); }
}
// WTSSessionInfo (24) -> "lastInput<TAB>logon<TAB>current" FILETIMEs of the WTSINFOW (offsets above).
private static string Times(int id) {
  IntPtr buffer; int bytes;
  if (!WTSQuerySessionInformationW(IntPtr.Zero, id, 24, out buffer, out bytes)) return "0\t0\t0";
  try {
    if (bytes < 216) return "0\t0\t0";
    return Marshal.ReadInt64(buffer, 192) + "\t" + Marshal.ReadInt64(buffer, 200) + "\t" + Marshal.ReadInt64(buffer, 208);
  } finally { WTSFreeMemory(buffer); }
}
public static string[] Sessions() {
  IntPtr info; int count;
  if (!WTSEnumerateSessionsW(IntPtr.Zero, 0, 1, out info, out count)) throw new System.ComponentModel.Win32Exception(Marshal.GetLastWin32Error());
  var lines = new List<string>();
  try {
    int size = Marshal.SizeOf(typeof(WTS_SESSION_INFO));
    for (int i = 0; i < count; i++) {
      var s = (WTS_SESSION_INFO)Marshal.PtrToStructure(new IntPtr(info.ToInt64() + (long)i * size), typeof(WTS_SESSION_INFO));
      // WTS_INFO_CLASS: 7 = WTSDomainName, 5 = WTSUserName
      lines.Add(s.SessionId + "\t" + s.State + "\t" + Marshal.PtrToStringUni(s.pWinStationName) + "\t" + Query(s.SessionId, 7) + "\t" + Query(s.SessionId, 5) + "\t" + Times(s.SessionId));
    }
  } finally { WTSFreeMemory(info); }
  return lines.ToArray();
}
'@
  }
  foreach ($line in [Autopilot.Wts]::Sessions()) {
    $f = $line -split "`t"
    [pscustomobject]@{
      SessionId = [int]$f[0]; State = [int]$f[1]; Station = $f[2]; Domain = $f[3]; UserName = $f[4]
      LastInputTime = ConvertFrom-FileTime $f[5]; LogonTime = ConvertFrom-FileTime $f[6]; CurrentTime = ConvertFrom-FileTime $f[7]
    }
  }
}
function ConvertFrom-FileTime([string]$Value) {
  # FILETIME (100 ns since 1601 UTC) -> UTC [DateTime], or $null when not reported (0, unreadable).
  $t = [long]0
  if (-not [long]::TryParse($Value, [ref]$t) -or $t -le 0) { return $null }
  try { return [DateTime]::FromFileTimeUtc($t) } catch { return $null }
}
$WtsActive = 0 # WTS_CONNECTSTATE_CLASS.WTSActive (WTSDisconnected is 4)
function Test-PersonSession($Session) {
  return $Session.SessionId -ne 0 -and $Session.State -eq $WtsActive -and $Session.UserName -and
  $Session.Domain -notin 'NT AUTHORITY', 'Window Manager', 'Font Driver Host' -and
  $Session.UserName -notin 'SYSTEM', 'LOCAL SERVICE', 'NETWORK SERVICE' -and $Session.UserName -notmatch '^(DWM|UMFD)-\d+$'
}
function Get-PersonName($Session) {
  if ($Session.Domain) { return "$($Session.Domain)\$($Session.UserName)" } else { return $Session.UserName }
}
function Select-InteractiveLogon($Sessions) {
  $people = @($Sessions | Where-Object { Test-PersonSession $_ } | ForEach-Object { Get-PersonName $_ })
  return @($people | Sort-Object -Unique)
}
# The logons with user input within PresenceIdleSeconds (see above). $State carries, per session
# (id + logon time), the agent's first sight (firstSeen) and the last input seen (inputSeen), for
# the fallback; sessions that report no LastInputTime are listed in $State.fallback.
function Select-PresentLogon($Sessions, $State, [DateTime]$Now = [DateTime]::UtcNow) {
  if ($null -eq $State.firstSeen) { $State.firstSeen = @{} }
  if ($null -eq $State.inputSeen) { $State.inputSeen = @{} }
  $State.fallback = @()
  $people = foreach ($s in @($Sessions | Where-Object { Test-PersonSession $_ })) {
    $key = "$($s.SessionId)|$(if ($s.LogonTime) { $s.LogonTime.ToFileTimeUtc() })"
    if (-not $State.firstSeen.ContainsKey($key)) { $State.firstSeen[$key] = $Now }
    if ($null -ne $s.LastInputTime -and $null -ne $s.CurrentTime) {
      $State.inputSeen[$key] = $Now - ($s.CurrentTime - $s.LastInputTime) # on the agent's clock
      if (($s.CurrentTime - $s.LastInputTime).TotalSeconds -lt $PresenceIdleSeconds) { Get-PersonName $s }
      continue
    }
    $since = if ($s.LogonTime) { $s.LogonTime } else { $State.firstSeen[$key] }
    if ($State.inputSeen.ContainsKey($key) -and $State.inputSeen[$key] -gt $since) { $since = $State.inputSeen[$key] }
    if (($Now - $since).TotalSeconds -lt $PresenceIdleSeconds) {
      $State.fallback += @(Get-PersonName $s)
      Get-PersonName $s
    }
  }
  return @($people | Sort-Object -Unique)
}
function New-PresenceDocument([int]$Users) {
  return ConvertTo-Document ([ordered]@{ schemaVersion = 2; builderName = $Builder; agentVersion = $AgentVersion; at = (Get-Now); users = $Users })
}
# One look: a heartbeat at the first sight of a logon with recent input, then every
# PresenceSeconds while one lasts; nothing while nobody is logged on or every logon has been idle
# for PresenceIdleSeconds. A failed write is logged and retried at the next look.
# $State: @{ last = $null | [DateTime]; reported = $false } (Select-PresentLogon adds its own keys).
function Invoke-PresenceTick($State, [DateTime]$Now = [DateTime]::UtcNow) {
  $sessions = @(Get-WtsSession)
  $users = @(Select-PresentLogon $sessions $State $Now)
  if ($users.Count -eq 0) {
    if ($State.reported) {
      $logged = @(Select-InteractiveLogon $sessions)
      if ($logged.Count -gt 0) { Write-Log "presence: logged on ($($logged -join ',')) but no input for ${PresenceIdleSeconds}s; no more heartbeats until there is" }
      else { Write-Log 'presence: nobody is logged on; no more heartbeats' }
    }
    $State.last = $null; $State.reported = $false; $State.fallbackLogged = ''
    return
  }
  $fallback = @($State.fallback) -join ','
  if ($fallback -and $fallback -ne $State.fallbackLogged) {
    Write-Log "presence: no last input time for ${fallback}: counted for ${PresenceIdleSeconds}s from its logon or last input seen"
  }
  $State.fallbackLogged = $fallback
  if ($null -ne $State.last -and ($Now - $State.last).TotalSeconds -lt $PresenceSeconds) { return }
  try {
    Resolve-Profile
    Write-StoreText 'presence/heartbeat.json' (New-PresenceDocument $users.Count)
  } catch {
    Write-Log "presence: heartbeat not written (retried in ${PresenceCheckSeconds}s): $($_.Exception.Message)"
    return
  }
  if (-not $State.reported) { Write-Log "presence: interactive logon ($($users -join ',')): heartbeat every ${PresenceSeconds}s while it lasts and has input within ${PresenceIdleSeconds}s" }
  $State.last = $Now; $State.reported = $true
}

# Everything below only runs when the script is started, not when a test dot-sources it.
if ($MyInvocation.InvocationName -eq '.') { return }

if (-not $PublicKey) { $PublicKey = Join-Path $env:ProgramData 'autopilot\job-signing.pem' }
if (-not $StateDir) { $StateDir = Join-Path $env:ProgramData 'autopilot-agent' }

# --- environment: wait for AppStream's machine variables ---------------------------------------
function Get-MachineVariable([string]$Name) {
  $v = [Environment]::GetEnvironmentVariable($Name, 'Process')
  if (-not $v) { $v = [Environment]::GetEnvironmentVariable($Name, 'Machine') }
  return $v
}
$waited = 0; $delay = 1
while (-not ($resourceType = Get-MachineVariable 'AppStream_Resource_Type')) {
  if ($waited -ge $EnvWaitSeconds) { Write-Log "no AppStream environment after ${EnvWaitSeconds}s; exiting for a restart"; exit 3 }
  Write-Log "waiting for the AppStream environment variables, next look in ${delay}s"
  Start-Sleep -Seconds $delay
  $waited += $delay; $delay = [Math]::Min($delay * 2, 30)
}
# The image-builder metadata page says "imagebuilder", the fleet metadata page "image-builder".
if ($resourceType -ne 'imagebuilder' -and $resourceType -ne 'image-builder') {
  Write-Log "not an image builder (AppStream_Resource_Type=$resourceType); exiting"
  exit 0
}
if (-not $Builder) { $Builder = Get-MachineVariable 'AppStream_Resource_Name' }
if (-not $Builder) { Write-Log 'builder name unknown (-Builder / AppStream_Resource_Name)'; exit 3 }
if (-not $Bucket) { Write-Log '-Bucket is required'; exit 2 }
New-Item -ItemType Directory -Force -Path $StateDir | Out-Null
$script:LogFile = Join-Path $StateDir 'agent.log' # a scheduled task has no console
if (-not $PresenceLoop -and (Test-Path -LiteralPath $script:LogFile) -and (Get-Item -LiteralPath $script:LogFile).Length -gt 10485760) {
  Move-Item -LiteralPath $script:LogFile -Destination "$($script:LogFile).1" -Force
}

# One agent per builder (its presence runspace is part of it).
if (-not $PresenceLoop) {
  $mutex = New-Object System.Threading.Mutex($false, 'Global\autopilot-agent')
  try { if (-not $mutex.WaitOne(60000)) { Write-Log 'another agent is running'; exit 75 } } catch [System.Threading.AbandonedMutexException] { }
}

# The modular AWS.Tools (v4+) when all three are there, else the monolithic AWSPowerShell (never both).
$modules = 'AWS.Tools.S3', 'AWS.Tools.SimpleSystemsManagement', 'AWS.Tools.SecretsManager'
if (@($modules | Where-Object { Get-Module -ListAvailable -Name $_ }).Count -eq $modules.Count) { Import-Module $modules }
else { Import-Module AWSPowerShell }

# --- credentials: appstream_machine_role, else the default chain (looked up until found) --------
$script:AwsParams = @{}
$script:ProfileState = 'unknown'
function Resolve-Profile {
  if ($script:ProfileState -eq 'found') { return }
  if ($ProfileLocation) {
    $p = $null
    try { $p = Get-AWSCredential -ProfileName $ProfileName -ProfileLocation $ProfileLocation } catch { $p = $null }
  } else {
    $p = Get-AWSCredential -ListProfileDetail | Where-Object { $_.ProfileName -eq $ProfileName }
  }
  if ($p) {
    Write-Log "using the '$ProfileName' credential profile$(if ($ProfileLocation) { " from $ProfileLocation" })"
    $script:ProfileState = 'found'; $script:AwsParams = @{ ProfileName = $ProfileName }
    if ($ProfileLocation) { $script:AwsParams['ProfileLocation'] = $ProfileLocation }
  } else {
    if ($script:ProfileState -ne 'absent') { Write-Log "no '$ProfileName' credential profile: using the default credential chain" }
    $script:ProfileState = 'absent'; $script:AwsParams = @{}
  }
  if ($Region) { $script:AwsParams['Region'] = $Region }
}

# --- storage -----------------------------------------------------------------------------------
$KeyBase = if ($Prefix) { "$($Prefix.TrimEnd('/'))/$Builder" } else { $Builder }
function Get-StoreKeys {
  $aws = $script:AwsParams
  return @(Get-S3Object @aws -BucketName $Bucket -KeyPrefix "$KeyBase/" | ForEach-Object { $_.Key.Substring($KeyBase.Length + 1) })
}
function Get-StoreText([string]$Rel) {
  $aws = $script:AwsParams
  $tmp = [System.IO.Path]::GetTempFileName()
  try { Read-S3Object @aws -BucketName $Bucket -Key "$KeyBase/$Rel" -File $tmp | Out-Null; return Read-Utf8File $tmp }
  finally { Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue }
}
function Write-StoreText([string]$Rel, [string]$Text) {
  $aws = $script:AwsParams
  $tmp = [System.IO.Path]::GetTempFileName()
  try {
    Write-Utf8File $tmp $Text
    Write-S3Object @aws -BucketName $Bucket -Key "$KeyBase/$Rel" -File $tmp -ContentType 'application/json' | Out-Null
  } finally { Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue }
}

# --- local state -------------------------------------------------------------------------------
function Get-StatePath([string]$Id) { return Join-Path $StateDir "$Id.json" }
# A delivered job's state moves to done\ (kept 30 days: a job id is never run twice).
function Complete-State($State) {
  $State.status = 'done'
  Save-State $State
  $done = Join-Path $StateDir 'done'
  New-Item -ItemType Directory -Force -Path $done | Out-Null
  Move-Item -LiteralPath (Get-StatePath $State.jobId) -Destination (Join-Path $done "$($State.jobId).json") -Force
}
function Read-State([string]$Id) { return (Read-Utf8File (Get-StatePath $Id)) | ConvertFrom-Json }
function Save-State($State) {
  $path = Get-StatePath $State.jobId
  Write-Utf8File "$path.tmp" (ConvertTo-Document $State)
  Move-Item -LiteralPath "$path.tmp" -Destination $path -Force
}
function Write-Claim($State) {
  $claim = [ordered]@{
    schemaVersion = 2; jobId = $State.jobId; builderName = $State.job.builderName; agentVersion = $AgentVersion
    claimedAt = $State.claimedAt; heartbeatAt = (Get-Now)
    currentStep = $(if ($State.current) { $State.current.id } else { $null })
    completedSteps = @(@($State.steps) | ForEach-Object { $_.id })
  }
  if ($State.rebootExpectedUntil) { $claim.rebootExpectedUntil = $State.rebootExpectedUntil }
  try { Write-StoreText "claims/$($State.jobId).json" (ConvertTo-Document $claim) }
  catch { Write-Log "job $($State.jobId): claim not written (retried at the next heartbeat): $($_.Exception.Message)" }
}

# --- secrets -----------------------------------------------------------------------------------
# A value that cannot be read, or is empty, fails the step: "secret NAME could not be resolved
# (source ref): why" (same wording as the Linux agent). The cmdlets return objects, so a warning
# can never be mistaken for the value (the Linux agent reads the CLI's stdout and stderr apart).
function Resolve-Secret($State, [string]$Name) {
  $aws = $script:AwsParams
  $decl = @($State.job.secrets) | Where-Object { $_.name -eq $Name } | Select-Object -First 1
  if (-not $decl) { throw "secret $Name could not be resolved: it is not declared in the job's secrets" }
  $what = "$($decl.source) $($decl.ref)"
  $value = $null
  try {
    switch ($decl.source) {
      'ssm' { $value = (Get-SSMParameter @aws -Name $decl.ref -WithDecryption $true).Value }
      'secretsmanager' { $value = (Get-SECSecretValue @aws -SecretId $decl.ref).SecretString }
      default { throw "unknown source '$($decl.source)'" }
    }
  } catch { throw "secret $Name could not be resolved (${what}): $($_.Exception.Message)" }
  if ($null -eq $value -or $value -isnot [string]) { throw "secret $Name could not be resolved (${what}): the answer has no string value" }
  if ($value.Length -eq 0) { throw "secret $Name could not be resolved (${what}): the value is empty" }
  return $value
}
function Get-RedactedTail([string]$Text, [string[]]$Values) {
  if ($null -eq $Text) { return '' }
  foreach ($v in ($Values | Where-Object { $_ } | Sort-Object -Property Length -Descending)) { $Text = $Text.Replace($v, '***') }
  if ($Text.Length -le $OutputLimit) { return $Text }
  return $Text.Substring($Text.Length - $OutputLimit)
}

# --- running a step (heartbeats while it runs) ---------------------------------------------------
function Invoke-Step($State, [int]$Index) {
  $step = @($State.job.steps)[$Index]
  $secrets = @{}
  $stdout = ''; $stderr = ''; $code = 255
  try {
    # The step's env (recommended for secrets: never on a command line) as ordered name/value pairs.
    $envPairs = @()
    if ($null -ne $step.env) { $envPairs = @($step.env.PSObject.Properties | ForEach-Object { , @($_.Name, [string]$_.Value) }) }
    foreach ($arg in (@($step.argv) + @($envPairs | ForEach-Object { $_[1] }))) {
      foreach ($m in [regex]::Matches($arg, '\{\{secret:([^}]*)\}\}')) {
        $n = $m.Groups[1].Value
        if (-not $secrets.ContainsKey($n)) { $secrets[$n] = Resolve-Secret $State $n }
      }
    }
    $argv = @(@($step.argv) | ForEach-Object { $a = [string]$_; foreach ($n in $secrets.Keys) { $a = $a.Replace("{{secret:$n}}", $secrets[$n]) }; $a })
    if ($step.kind -eq 'image-assistant') { $file = $ImageAssistant } else { $file = $argv[0]; $argv = @($argv | Select-Object -Skip 1) }
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $file
    $psi.Arguments = (@($argv | ForEach-Object { ConvertTo-WindowsArgument $_ }) -join ' ')
    $psi.UseShellExecute = $false
    # Set only in this child's environment block (CreateProcess lpEnvironment): never in a command
    # line, so not in process listings or 4688 / script-block audit events.
    foreach ($pair in $envPairs) {
      $v = $pair[1]; foreach ($n in $secrets.Keys) { $v = $v.Replace("{{secret:$n}}", $secrets[$n]) }
      $psi.EnvironmentVariables[$pair[0]] = $v
    }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    $out = $process.StandardOutput.ReadToEndAsync()
    $err = $process.StandardError.ReadToEndAsync()
    $timeout = if ($step.timeoutSeconds) { [int]$step.timeoutSeconds } else { 1800 }
    $deadline = [DateTime]::UtcNow.AddSeconds($timeout)
    $beat = [Math]::Max(1, [int]$State.job.heartbeatSeconds)
    $nextBeat = [DateTime]::UtcNow.AddSeconds($beat)
    $timedOut = $false
    while (-not $process.WaitForExit(500)) {
      if ([DateTime]::UtcNow -ge $nextBeat) { Write-Claim $State; $nextBeat = [DateTime]::UtcNow.AddSeconds($beat) }
      if ([DateTime]::UtcNow -ge $deadline) {
        & taskkill.exe /T /F /PID $process.Id | Out-Null # the whole tree, like timeout --kill-after
        $process.WaitForExit(); $timedOut = $true; break
      }
    }
    $process.WaitForExit() # flushes the redirected streams
    $stdout = $out.Result; $stderr = $err.Result
    if ($timedOut) { $code = 124; $stderr += "`ntimed out after $timeout s" } else { $code = $process.ExitCode }
  } catch {
    $stderr = "autopilot-agent: $($_.Exception.Message)"; $code = 255
  }
  return @{ exitCode = $code; stdout = (Get-RedactedTail $stdout @($secrets.Values)); stderr = (Get-RedactedTail $stderr @($secrets.Values)) }
}

function Invoke-AgentJob([string]$Id) {
  $state = Read-State $Id
  if ($state.status -eq 'running') {
    if ($state.current) {
      $cur = $state.current
      if ($cur.expectReboot) {
        Write-Log "job ${Id}: resumed after the reboot of step $($cur.id)"
        $state.steps = @($state.steps) + @([ordered]@{ id = $cur.id; exitCode = 0; stdout = ''; stderr = ''; startedAt = $cur.startedAt; finishedAt = (Get-Now); resumedAfterReboot = $true })
      } else {
        $m = "the builder rebooted during step $($cur.id), which does not declare expectReboot"
        Write-Log "job ${Id}: $m"
        $state.steps = @($state.steps) + @([ordered]@{ id = $cur.id; exitCode = 255; stdout = ''; stderr = $m; startedAt = $cur.startedAt; finishedAt = (Get-Now); resumedAfterReboot = $true })
        $state.outcome = 'failed'; $state.reason = $m
      }
      $state.current = $null; $state.rebootExpectedUntil = $null
      Save-State $state
    }
    Write-Claim $state
    $all = @($state.job.steps)
    while ($state.outcome -ne 'failed' -and @($state.steps).Count -lt $all.Count) {
      $i = @($state.steps).Count
      $step = $all[$i]
      $started = Get-Now
      $state.current = [ordered]@{ id = $step.id; index = $i; startedAt = $started; expectReboot = [bool]$step.expectReboot }
      $state.rebootExpectedUntil = if ($step.expectReboot) { [DateTime]::UtcNow.AddSeconds($RebootGraceSeconds).ToString('yyyy-MM-dd\THH:mm:ss.fff\Z') } else { $null }
      Save-State $state
      Write-Claim $state
      $r = Invoke-Step $state $i
      if ($step.expectReboot -and $RebootSettleSeconds -gt 0) {
        Write-Log "job ${Id}: $($step.id) (expectReboot) exited $($r.exitCode); waiting ${RebootSettleSeconds}s for a reboot"
        Start-Sleep -Seconds $RebootSettleSeconds
      }
      $state.steps = @($state.steps) + @([ordered]@{ id = $step.id; exitCode = $r.exitCode; stdout = $r.stdout; stderr = $r.stderr; startedAt = $started; finishedAt = (Get-Now) })
      $state.current = $null; $state.rebootExpectedUntil = $null
      if ($r.exitCode -ne 0 -and -not $step.continueOnError) { $state.outcome = 'failed' }
      Save-State $state
      Write-Log "job ${Id}: $($step.id) exited $($r.exitCode)"
    }
    $result = [ordered]@{ schemaVersion = 2; jobId = $Id; builderName = $state.job.builderName; agentVersion = $AgentVersion
      status = $state.outcome; finishedAt = (Get-Now); steps = @($state.steps) }
    if ($state.reason) { $result.reason = $state.reason }
    $state.result = $result; $state.status = 'finished'
    Save-State $state
    Write-Claim $state
  }
  Write-StoreText "results/$Id.json" (ConvertTo-Document $state.result)
  Write-Log "job ${Id}: $($state.result.status)"
  Complete-State $state
}

function Start-AgentJob([string]$Id) {
  $check = Test-JobDocument $Id (Get-StoreText "jobs/$Id.json")
  if (-not $check.ok) {
    Write-StoreText "results/$Id.json" (ConvertTo-Document ([ordered]@{ schemaVersion = 2; jobId = $Id; builderName = $Builder
      agentVersion = $AgentVersion; status = 'refused'; reason = $check.reason; finishedAt = (Get-Now); steps = @() }))
    Write-Log "job ${Id}: refused: $($check.reason)"
    return
  }
  $job = $check.job
  if ($null -eq $job.heartbeatSeconds) { $job | Add-Member heartbeatSeconds 30 }
  if ($null -eq $job.secrets) { $job | Add-Member secrets @() -Force }
  Save-State ([ordered]@{ schemaVersion = 2; jobId = $Id; claimedAt = (Get-Now); job = $job; steps = @(); current = $null
    rebootExpectedUntil = $null; outcome = 'succeeded'; reason = $null; status = 'running'; result = $null })
  Write-Log "job ${Id}: claimed ($(@($job.steps).Count) steps)"
  Invoke-AgentJob $Id
}

function Invoke-Poll {
  $keys = Get-StoreKeys
  $done = Join-Path $StateDir 'done'
  if (Test-Path -LiteralPath $done) {
    Get-ChildItem -LiteralPath $done -Filter '*.json' -File | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-30) } | Remove-Item -Force
  }
  # Jobs this agent owns: resume, or deliver a result that did not reach the bucket.
  foreach ($f in @(Get-ChildItem -LiteralPath $StateDir -Filter '*.json' -File)) {
    $id = [System.IO.Path]::GetFileNameWithoutExtension($f.Name)
    $st = (Read-State $id).status
    if ($st -ne 'running' -and $st -ne 'finished') { continue }
    if ($keys -contains "results/$id.json") { Complete-State (Read-State $id); continue }
    Invoke-AgentJob $id
  }
  foreach ($k in ($keys | Where-Object { $_ -match '^jobs/[A-Za-z0-9_.-]+\.json$' } | Sort-Object)) {
    $id = $k.Substring(5, $k.Length - 10)
    if ($keys -contains "results/$id.json") { continue }
    if ((Test-Path -LiteralPath (Get-StatePath $id)) -or (Test-Path -LiteralPath (Join-Path $done "$id.json"))) { continue }
    if ($keys -contains "claims/$id.json") { continue } # claimed by another agent: never run twice
    Start-AgentJob $id
  }
}

if ($PresenceCheckSeconds -le 0) { Write-Log '-PresenceCheckSeconds must be positive'; exit 2 }
if ($PresenceIdleSeconds -le 0) { Write-Log '-PresenceIdleSeconds must be positive'; exit 2 }
if ($PresenceSeconds -gt 0) { $PresenceCheckSeconds = [Math]::Min($PresenceCheckSeconds, [double]$PresenceSeconds) }
if ($PresenceLoop) {
  # The presence runspace: looks for logons until the agent's process ends.
  $presence = @{ last = $null; reported = $false }
  while ($true) {
    try { Invoke-PresenceTick $presence } catch { Write-Log "presence: cannot list the logon sessions: $($_.Exception.Message)" }
    Start-Sleep -Milliseconds ([int]($PresenceCheckSeconds * 1000))
  }
}

Write-Log "agent $AgentVersion (protocol $Protocol) on image builder $Builder, s3://$Bucket/$KeyBase/"
# Presence runs in a runspace of its own (another thread of this process, the same script with
# -PresenceLoop): a job step of 30 minutes, a reboot settle wait or a slow S3 call in the job loop
# never delays it, and it never delays a poll. It ends with the agent's process.
if ($PresenceSeconds -gt 0) {
  $presenceShell = [PowerShell]::Create()
  $presenceShell.Runspace = [runspacefactory]::CreateRunspace()
  $presenceShell.Runspace.Open()
  [void]$presenceShell.AddCommand($PSCommandPath)
  foreach ($k in $script:AgentParameters.Keys) {
    if ($k -notin 'Once', 'Polls', 'Builder', 'PresenceLoop') { [void]$presenceShell.AddParameter($k, $script:AgentParameters[$k]) }
  }
  [void]$presenceShell.AddParameter('Builder', $Builder).AddParameter('PresenceLoop', $true)
  [void]$presenceShell.BeginInvoke()
}
if ($Once) { $Polls = 1 }
$failures = 0; $count = 0
while ($true) {
  $ok = $true
  # Never die on one error: any failure ends this poll only, then capped exponential backoff + jitter.
  try { Resolve-Profile; Invoke-Poll }
  catch { $ok = $false; Write-Log "poll failed: $($_.Exception.Message)" }
  if ($ok) { $failures = 0; $delay = $PollSeconds }
  else {
    $failures++
    $d = [Math]::Min($BackoffMaxSeconds, $BackoffBaseSeconds * [Math]::Pow(2, $failures - 1))
    $delay = $d / 2 + (Get-Random -Maximum 1.0) * $d / 2
    Write-Log ("poll failed ({0} in a row); retrying in {1:N2}s" -f $failures, $delay)
  }
  $count++
  if ($Polls -gt 0 -and $count -ge $Polls) { if ($ok) { exit 0 } else { exit 1 } }
  Start-Sleep -Milliseconds ([int]($delay * 1000))
}
