using System.CommandLine;
using System.Net;
using Skiff.Commands;

namespace Skiff.Tests.Commands;

public sealed class NodeFlagsTests
{
    [Fact]
    public void Read_NoFlags_KubeletDefaults()
    {
        (NodeSettings settings, IReadOnlyList<string> errors) = Parse();

        Assert.Empty(errors);
        Assert.Null(settings.NodeIp);
        Assert.Null(settings.ContainerRuntimeEndpoint);
        Assert.Null(settings.RegistriesFile);
        Assert.Equal(10250, settings.KubeletPort);
        Assert.Empty(settings.KubeReserved);
        Assert.Empty(settings.SystemReserved);
        Assert.Equal("memory.available<100Mi,nodefs.available<10%", settings.EvictionHard.ToString());
    }

    [Fact]
    public void Read_EveryFlag_Typed()
    {
        string registries = Path.GetTempFileName();
        try
        {
            (NodeSettings settings, IReadOnlyList<string> errors) = Parse(
                "--node-ip", "192.168.1.10", "--container-runtime-endpoint", "unix:///run/containerd/containerd.sock", "--registries-file", registries,
                "--kubelet-port", "11250", "--kube-reserved", "cpu=100m,memory=256Mi", "--system-reserved", "memory=1Gi", "--eviction-hard", "memory.available<500Mi");

            Assert.Empty(errors);
            Assert.Equal(IPAddress.Parse("192.168.1.10"), settings.NodeIp);
            Assert.Equal("/run/containerd/containerd.sock", settings.ContainerRuntimeEndpoint);
            Assert.Equal(registries, settings.RegistriesFile);
            Assert.Equal(11250, settings.KubeletPort);
            Assert.Equal("100m", settings.KubeReserved["cpu"].ToString());
            Assert.Equal("256Mi", settings.KubeReserved["memory"].ToString());
            Assert.Equal("1Gi", settings.SystemReserved["memory"].ToString());
            Assert.Equal("memory.available<500Mi", settings.EvictionHard.ToString());
        }
        finally
        {
            File.Delete(registries);
        }
    }

    [Theory]
    [InlineData("--node-ip", "not-an-ip")]
    [InlineData("--container-runtime-endpoint", "relative.sock")]
    [InlineData("--registries-file", "/no/such/registries.yaml")]
    [InlineData("--kubelet-port", "0")]
    [InlineData("--kube-reserved", "cpu")]
    [InlineData("--system-reserved", "gpu=1")]
    [InlineData("--eviction-hard", "memory.available>1Mi")]
    public void Read_BadValue_ErrorNamesTheFlag(string flag, string value)
    {
        (_, IReadOnlyList<string> errors) = Parse(flag, value);

        Assert.Contains(errors, e => e.Contains(flag, StringComparison.Ordinal));
    }

    private static (NodeSettings Settings, IReadOnlyList<string> Errors) Parse(params string[] args)
    {
        var flags = new NodeFlags();
        var command = new RootCommand();
        flags.AddTo(command);
        ParseResult result = command.Parse(args);
        IReadOnlyList<string> errors = [.. result.Errors.Select(e => e.Message)];
        return (errors.Count == 0 ? flags.Read(result) : new NodeSettings(), errors);
    }
}
