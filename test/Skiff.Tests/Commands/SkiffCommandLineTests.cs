using Skiff.Commands;

namespace Skiff.Tests.Commands;

public sealed class SkiffCommandLineTests
{
    [Fact]
    public async Task RunAsync_UnknownFlag_ExitsTwoNamingTheFlag()
    {
        (int code, _, string error) = await RunAsync("server", "--no-such-flag");

        Assert.Equal(2, code);
        Assert.Contains("--no-such-flag", error, StringComparison.Ordinal);
        Assert.Contains("--help", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UnknownCommand_ExitsTwo()
    {
        (int code, _, string error) = await RunAsync("frobnicate");

        Assert.Equal(2, code);
        Assert.Contains("frobnicate", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--secure-port", "abc")]
    [InlineData("--secure-port", "0")]
    [InlineData("--secure-port", "70000")]
    [InlineData("--cluster-cidr", "nonsense")]
    [InlineData("--service-cidr", "10.43.0.1/16")]
    [InlineData("--bind-address", "not-an-ip")]
    [InlineData("--cluster-dns", "10.99.0.10")]
    [InlineData("--datastore-endpoint", "mysql://db")]
    [InlineData("--node-name", "Not_A_Name")]
    [InlineData("--log-level", "loud")]
    [InlineData("--node-monitor-grace-period", "forty")]
    [InlineData("--node-monitor-grace-period", "0s")]
    [InlineData("--node-cidr-mask-size", "abc")]
    [InlineData("--node-cidr-mask-size", "8")]
    public async Task RunAsync_ServerWithBadValue_ExitsTwoWithOneLineError(string flag, string value)
    {
        using var directory = new TempDirectory();

        // If the bad value were accepted the server would start in-process; RunAsync times out instead of hanging.
        (int code, string output, string error) = await RunAsync(
            "server", "--data-dir", directory.Path, flag, value);

        Assert.Equal(2, code);
        Assert.Empty(output);
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(flag, lines[0], StringComparison.Ordinal);
        Assert.Contains("skiff server --help", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AgentWithoutServer_ExitsTwo()
    {
        (int code, _, string error) = await RunAsync("agent", "--token", "K10" + new string('a', 64) + "::server:abc");

        Assert.Equal(2, code);
        Assert.Contains("--server", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AgentWithMalformedToken_ExitsTwo()
    {
        (int code, _, string error) = await RunAsync("agent", "--server", "https://127.0.0.1:6443", "--token", "nonsense");

        Assert.Equal(2, code);
        Assert.Contains("--token", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Help_ListsExactlyTheFiveCommands()
    {
        (int code, string output, _) = await RunAsync("--help");

        Assert.Equal(0, code);
        string commands = output[output.IndexOf("Commands:", StringComparison.Ordinal)..];
        string[] names = [.. commands.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => l.Split(' ')[0])];
        Assert.Equal(["server", "agent", "version", "kubeconfig", "hollow-nodes"], names);
    }

    [Fact]
    public async Task RunAsync_Version_PrintsKubernetesVersion()
    {
        (int code, string output, _) = await RunAsync("version");

        Assert.Equal(0, code);
        Assert.Contains("v1.32.0", output, StringComparison.Ordinal);
        Assert.StartsWith("skiff v", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--count", "0")]
    [InlineData("--count", "many")]
    [InlineData("--label", "zone")]
    public async Task RunAsync_HollowNodesWithBadValue_ExitsTwo(string flag, string value)
    {
        (int code, _, string error) = await RunAsync("hollow-nodes", flag, value);

        Assert.Equal(2, code);
        Assert.Contains(flag, error, StringComparison.Ordinal);
        Assert.Contains("skiff hollow-nodes --help", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_HollowNodesWithoutKubeconfig_ExitsOneNamingIt()
    {
        using var directory = new TempDirectory();

        (int code, _, string error) = await RunAsync("hollow-nodes", "--data-dir", directory.Path, "--count", "2");

        Assert.Equal(1, code);
        Assert.Contains("admin.kubeconfig does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_KubeconfigWithoutServerData_ExitsOne()
    {
        using var directory = new TempDirectory();

        (int code, _, string error) = await RunAsync("kubeconfig", "--data-dir", directory.Path);

        Assert.Equal(1, code);
        Assert.Contains("admin.kubeconfig", error, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Task<int> run = SkiffCommandLine.RunAsync(args, output, error);
        int code = await run.WaitAsync(TimeSpan.FromSeconds(30));
        return (code, output.ToString(), error.ToString());
    }
}
