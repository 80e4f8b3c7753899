using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RecoActors.Node.Tests;

/// <summary>The built <c>reco</c> tool run as a separate process, as a user runs it; its output is kept for failure messages.</summary>
internal sealed class RecoProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RecoProcess(Process process) => _process = process;

    public static RecoProcess Start(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartProgram("reco.dll", environment, args);

    /// <summary>Another program (the client sample), run the same way; a relative <paramref name="dll"/> is in this test's folder.</summary>
    public static RecoProcess StartProgram(string dll, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["NO_COLOR"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var reco = new RecoProcess(new Process { StartInfo = info });
        reco._process.OutputDataReceived += (_, e) => reco.Append(e.Data);
        reco._process.ErrorDataReceived += (_, e) => reco.Append(e.Data);
        reco._process.Start();
        reco._process.BeginOutputReadLine();
        reco._process.BeginErrorReadLine();
        return reco;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Waits for a line starting with <paramref name="prefix"/> and returns the rest of it.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan within)
    {
        await Eventually.True(() => Output.Split('\n').Any(l => l.StartsWith(prefix, StringComparison.Ordinal)) || HasExited, within, $"'{prefix}' from reco");
        return Output.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim()
            ?? throw new InvalidOperationException($"reco exited before printing '{prefix}':\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no flush, no goodbye.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM: the graceful stop a Kubernetes pod gets.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>SIGSTOP: the process freezes (a long GC pause, a partitioned network, a stalled VM), until <see cref="Resume"/>.</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>SIGCONT: a frozen process runs on, unaware of the time that passed.</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
