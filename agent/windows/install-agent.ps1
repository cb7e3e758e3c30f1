<#
.SYNOPSIS
  Installs the autopilot agent on a Windows image builder (run once, as Administrator, before
  you create the base image the pipelines build from).

.DESCRIPTION
  Copies autopilot-agent.ps1 and the job-signing public key to C:\ProgramData\autopilot\ and
  registers the scheduled task "autopilot-agent": at startup, as SYSTEM, no execution time limit
  (the default 72 h would stop the agent), one instance at a time. Task Scheduler's "restart on
  failure" only retries a task that failed to START (MS-TSCH 2.5.4.2 RestartOnFailure), not one
  whose program exited, so the task also repeats every 5 minutes: if the agent ever ends, the
  next repetition starts it again (MultipleInstances IgnoreNew keeps a running agent alone). The
  agent itself never exits on an error: it retries with capped exponential backoff.

.EXAMPLE
  .\install-agent.ps1 -Bucket my-agent-bucket -Region eu-west-1 -PublicKeyFile .\job-signing.pem
#>
param(
  [Parameter(Mandatory = $true)][string]$Bucket,
  [string]$Prefix = 'autopilot-agent',
  [string]$Region,
  [Parameter(Mandatory = $true)][string]$PublicKeyFile,
  [string]$InstallDir = (Join-Path $env:ProgramData 'autopilot'),
  # Only if SYSTEM does not find the appstream_machine_role profile by itself (agent/README.md).
  [string]$ProfileLocation,
  # Presence heartbeat cadence while someone is logged on (agent default 300; 0 turns it off).
  [int]$PresenceSeconds = -1,
  # A logon counts only with user input within this time (agent default 1800).
  [int]$PresenceIdleSeconds = -1
)
$ErrorActionPreference = 'Stop'

New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
Copy-Item -LiteralPath (Join-Path $PSScriptRoot 'autopilot-agent.ps1') -Destination $InstallDir -Force
Copy-Item -LiteralPath $PublicKeyFile -Destination (Join-Path $InstallDir 'job-signing.pem') -Force

$agent = Join-Path $InstallDir 'autopilot-agent.ps1'
$arguments = "-NoProfile -NonInteractive -ExecutionPolicy Bypass -File `"$agent`" -Bucket `"$Bucket`" -Prefix `"$Prefix`""
if ($Region) { $arguments += " -Region `"$Region`"" }
if ($ProfileLocation) { $arguments += " -ProfileLocation `"$ProfileLocation`"" }
if ($PresenceSeconds -ge 0) { $arguments += " -PresenceSeconds $PresenceSeconds" }
if ($PresenceIdleSeconds -gt 0) { $arguments += " -PresenceIdleSeconds $PresenceIdleSeconds" }
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $arguments

$atStartup = New-ScheduledTaskTrigger -AtStartup
$every5Minutes = New-ScheduledTaskTrigger -Daily -At '00:00'
$every5Minutes.Repetition = (New-ScheduledTaskTrigger -Once -At '00:00' -RepetitionInterval (New-TimeSpan -Minutes 5) -RepetitionDuration (New-TimeSpan -Hours 23 -Minutes 55)).Repetition

$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -MultipleInstances IgnoreNew `
  -RestartCount 255 -RestartInterval (New-TimeSpan -Minutes 1) -StartWhenAvailable `
  -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest

Register-ScheduledTask -TaskName 'autopilot-agent' -Action $action -Trigger @($atStartup, $every5Minutes) `
  -Settings $settings -Principal $principal -Force | Out-Null
Start-ScheduledTask -TaskName 'autopilot-agent'
Write-Host "autopilot-agent installed in $InstallDir and started (scheduled task 'autopilot-agent', SYSTEM)"
