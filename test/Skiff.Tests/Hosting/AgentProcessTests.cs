using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using Skiff.Pki;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Tests.Hosting;

[SupportedOSPlatform("linux")]
public sealed class AgentProcessTests : IClassFixture<RunningServerFixture>
{
    private readonly RunningServerFixture _server;

    public AgentProcessTests(RunningServerFixture server)
    {
        _server = server;
    }

    [Fact]
    public async Task Agent_WithServerToken_StoresNodeCertificateAndReusesItOnRestart()
    {
        using var data = new TempDirectory();
        var directory = new DataDirectory(data.Path);

        await using (ChildProcess agent = StartAgent(data.Path, _server.Token))
        {
            await agent.WaitUntilAsync(_ => Task.FromResult(File.Exists(directory.AgentKubeconfig)), SkiffServerHarness.StartTimeout, "a stored kubeconfig", default);

            using X509Certificate2 node = PemFiles.ReadCertificate(directory.AgentNodeCertificate);
            Assert.Equal("system:node:test-agent", node.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
            Assert.Contains("O=system:nodes", node.Subject, StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.AgentNodeKey));
            await agent.WaitUntilAsync(_ => Task.FromResult(agent.Output().Contains("as node test-agent", StringComparison.Ordinal)), SkiffServerHarness.StartTimeout, "the joined log line", default);
            Assert.Equal(0, await agent.StopAsync(SkiffServerHarness.StopTimeout));
        }

        string certificate = File.ReadAllText(directory.AgentNodeCertificate);
        await using (ChildProcess again = StartAgent(data.Path, _server.Token))
        {
            await again.WaitUntilAsync(_ => Task.FromResult(again.Output().Contains("stored in", StringComparison.Ordinal)), SkiffServerHarness.StartTimeout, "reusing stored credentials", default);
            Assert.Equal(0, await again.StopAsync(SkiffServerHarness.StopTimeout));
        }

        Assert.Equal(certificate, File.ReadAllText(directory.AgentNodeCertificate));
    }

    [Fact]
    public async Task Agent_WithWrongCaHash_ExitsNonZeroAndSaysWhy()
    {
        using var data = new TempDirectory();
        Assert.True(JoinToken.TryParse(_server.Token, out JoinToken? token, out _));
        string wrong = (token! with { CaHash = new string('0', 64) }).ToString();

        await using ChildProcess agent = StartAgent(data.Path, wrong);
        int code = await agent.WaitForExitAsync(SkiffServerHarness.StartTimeout);

        Assert.NotEqual(0, code);
        Assert.Contains("SHA-256", agent.Output(), StringComparison.Ordinal);
        Assert.False(File.Exists(new DataDirectory(data.Path).AgentNodeCertificate));
    }

    [Fact]
    public async Task Agent_WithWrongSecret_ExitsNonZero()
    {
        using var data = new TempDirectory();
        Assert.True(JoinToken.TryParse(_server.Token, out JoinToken? token, out _));
        string wrong = (token! with { Secret = new string('0', 32) }).ToString();

        await using ChildProcess agent = StartAgent(data.Path, wrong);
        int code = await agent.WaitForExitAsync(SkiffServerHarness.StartTimeout);

        Assert.NotEqual(0, code);
        Assert.Contains("401", agent.Output(), StringComparison.Ordinal);
    }

    private ChildProcess StartAgent(string dataDirectory, string token) => SkiffCommand.Dll().Start(
    [
        "agent", "--server", _server.Url.ToString().TrimEnd('/'), "--token", token, "--data-dir", dataDirectory, "--node-name", "test-agent",
        // Once joined the agent runs containerd and the kubelet: keep them on loopback and off the default kubelet port.
        "--node-ip", "127.0.0.1", "--kubelet-port", LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
        // Tests share the host: no iptables rules, routes or DNS server on it.
        .. SkiffServerOptions.HostAgentNetworkArguments,
    ]);
}
