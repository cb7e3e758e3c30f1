<#
.SYNOPSIS
  appstream-autopilot pull agent for Windows image builders.

.DESCRIPTION
  Polls s3://<bucket>/<prefix>/<builder>/jobs/ for job documents (schema v1), runs each job
  once, in order, stops at the first failing step (unless the step says continueOnError) and
  writes <prefix>/<builder>/results/<jobId>.json. Each step's argv is turned into one Windows
  command line with the quoting rules of CommandLineToArgvW, so arguments with spaces, quotes
  and backslashes reach the program exactly as written in the pipeline definition.

  Runs only on image builders ($env:AppStream_Resource_Type -eq 'image-builder'), never on
  fleet instances launched from the image it helped build. Uses the AWS Tools for PowerShell
  (AWS.Tools.S3, present on AppStream base images) with the builder's IAM role.

.PARAMETER Bucket
  The agent bucket (AGENT_BUCKET of the deployment).
.PARAMETER Prefix
  Key prefix (AGENT_PREFIX, default autopilot-agent).
.PARAMETER Once
  Process the jobs that are there and exit (for a scheduled task that repeats).
#>
param(
  [Parameter(Mandatory = $true)][string]$Bucket,
  [string]$Prefix = 'autopilot-agent',
  [int]$PollSeconds = 20,
  [string]$Builder = $env:AppStream_Resource_Name,
  [string]$ImageAssistant = 'C:\Program Files\Amazon\Photon\ConsoleImageBuilder\image-assistant.exe',
  [switch]$Once
)

$ErrorActionPreference = 'Stop'
$OutputLimit = 4000

function Write-Log([string]$Message) {
  Write-Host ("{0} autopilot-agent: {1}" -f (Get-Date).ToUniversalTime().ToString('s'), $Message)
}

if ($env:AppStream_Resource_Type -ne 'image-builder') {
  Write-Log "not an image builder (AppStream_Resource_Type=$($env:AppStream_Resource_Type)); exiting"
  exit 0
}
if (-not $Builder) { Write-Log 'builder name unknown (-Builder / AppStream_Resource_Name)'; exit 2 }
Import-Module AWS.Tools.S3 -ErrorAction Stop

$Base = "$Prefix/$Builder"

# Quotes one argument for CommandLineToArgvW: backslashes are literal unless they precede a
# double quote, in which case they are doubled; quotes are escaped; empty or spaced args quoted.
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

function Test-Key([string]$Key) {
  return [bool](Get-S3Object -BucketName $Bucket -KeyPrefix $Key | Where-Object { $_.Key -eq $Key })
}

function Write-Json([object]$Value, [string]$Key) {
  $tmp = [System.IO.Path]::GetTempFileName()
  ($Value | ConvertTo-Json -Depth 8 -Compress) | Set-Content -Path $tmp -Encoding UTF8
  Write-S3Object -BucketName $Bucket -Key $Key -File $tmp -ContentType 'application/json' | Out-Null
  Remove-Item $tmp -Force
}

function Get-Tail([string]$Text) {
  if ($null -eq $Text) { return '' }
  if ($Text.Length -le $OutputLimit) { return $Text }
  return $Text.Substring($Text.Length - $OutputLimit)
}

function Invoke-Step($Step) {
  $argv = @($Step.argv)
  if ($Step.kind -eq 'image-assistant') { $file = $ImageAssistant } else { $file = $argv[0]; $argv = @($argv | Select-Object -Skip 1) }
  $psi = New-Object System.Diagnostics.ProcessStartInfo
  $psi.FileName = $file
  $psi.Arguments = (@($argv | ForEach-Object { ConvertTo-WindowsArgument $_ }) -join ' ')
  $psi.UseShellExecute = $false
  $psi.RedirectStandardOutput = $true
  $psi.RedirectStandardError = $true
  $process = [System.Diagnostics.Process]::Start($psi)
  $stdout = $process.StandardOutput.ReadToEndAsync()
  $stderr = $process.StandardError.ReadToEndAsync()
  $timeout = if ($Step.timeoutSeconds) { [int]$Step.timeoutSeconds } else { 1800 }
  if (-not $process.WaitForExit($timeout * 1000)) {
    $process.Kill()
    return @{ exitCode = 124; stdout = (Get-Tail $stdout.Result); stderr = "timed out after $timeout s" }
  }
  return @{ exitCode = $process.ExitCode; stdout = (Get-Tail $stdout.Result); stderr = (Get-Tail $stderr.Result) }
}

function Invoke-Job([string]$Id) {
  if ((Test-Key "$Base/claims/$Id") -or (Test-Key "$Base/results/$Id.json")) { return }
  # Claim first: a job runs once even if the agent restarts or two copies run.
  Write-Json @{ claimedAt = (Get-Date).ToUniversalTime().ToString('o') } "$Base/claims/$Id"
  $tmp = [System.IO.Path]::GetTempFileName()
  Read-S3Object -BucketName $Bucket -Key "$Base/jobs/$Id.json" -File $tmp | Out-Null
  $job = Get-Content $tmp -Raw | ConvertFrom-Json
  Remove-Item $tmp -Force
  $steps = @()
  $status = 'succeeded'
  if ($job.schemaVersion -ne 1) {
    $status = 'failed'
    $steps += @{ id = 'agent'; exitCode = 255; stdout = ''; stderr = "unsupported schemaVersion $($job.schemaVersion)" }
  } else {
    foreach ($step in $job.steps) {
      $started = (Get-Date).ToUniversalTime().ToString('o')
      try { $r = Invoke-Step $step } catch { $r = @{ exitCode = 255; stdout = ''; stderr = $_.Exception.Message } }
      $steps += @{ id = $step.id; exitCode = $r.exitCode; stdout = $r.stdout; stderr = $r.stderr; startedAt = $started; finishedAt = (Get-Date).ToUniversalTime().ToString('o') }
      Write-Log "job ${Id}: $($step.id) exited $($r.exitCode)"
      if ($r.exitCode -ne 0 -and -not $step.continueOnError) { $status = 'failed'; break }
    }
  }
  Write-Json @{ schemaVersion = 1; jobId = $Id; status = $status; finishedAt = (Get-Date).ToUniversalTime().ToString('o'); steps = $steps } "$Base/results/$Id.json"
  Write-Log "job ${Id}: $status"
}

while ($true) {
  $jobs = Get-S3Object -BucketName $Bucket -KeyPrefix "$Base/jobs/" | Where-Object { $_.Key -like '*.json' }
  foreach ($o in $jobs) { Invoke-Job ([System.IO.Path]::GetFileNameWithoutExtension($o.Key)) }
  if ($Once) { break }
  Start-Sleep -Seconds $PollSeconds
}
