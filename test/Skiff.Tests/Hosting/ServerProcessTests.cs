using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Skiff.Pki;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Tests.Hosting;

public sealed class ServerProcessTests
{
    [Fact]
    public async Task Server_StartedStoppedAndRestarted_ServesKubectlExitsZeroAndKeepsCa()
    {
        using var data = new TempDirectory();
        int port = LoopbackPort.Free();
        string caThumbprint;

        await using (SkiffServerProcess server = await SkiffServerProcess.StartAsync(SkiffServerHarness.ServerOptions(data.Path, port), default))
        {
            (int kubectlCode, string kubectlOutput) = await SkiffServerHarness.RunKubectlAsync(
                "--kubeconfig", Path.Combine(data.Path, "admin.kubeconfig"), "version", "-o", "json");
            Assert.True(kubectlCode == 0, kubectlOutput);
            using (JsonDocument version = JsonDocument.Parse(kubectlOutput))
            {
                Assert.Equal("32", version.RootElement.GetProperty("serverVersion").GetProperty("minor").GetString());
            }

            (HttpStatusCode status, string body) = await SkiffServerHarness.GetAsync(data.Path, port, "/readyz?verbose");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("[+]store ok", body, StringComparison.Ordinal);

            (int createCode, string createOutput) = await SkiffServerHarness.RunKubectlAsync(
                "--kubeconfig", Path.Combine(data.Path, "admin.kubeconfig"), "create", "configmap", "kept", "--from-literal=a=1");
            Assert.True(createCode == 0, createOutput);

            using X509Certificate2 ca = PemFiles.ReadCertificate(new DataDirectory(data.Path).CaCertificate);
            caThumbprint = ca.Thumbprint;
            Assert.Equal(0, await server.StopAsync(SkiffServerHarness.StopTimeout));
        }

        await using (SkiffServerProcess again = await SkiffServerProcess.StartAsync(SkiffServerHarness.ServerOptions(data.Path, port), default))
        {
            using X509Certificate2 ca = PemFiles.ReadCertificate(new DataDirectory(data.Path).CaCertificate);
            Assert.Equal(caThumbprint, ca.Thumbprint);

            // The restarted server keeps serving (its bootstrap finds the kubernetes Service and leaves it) with the old data.
            (int getCode, string getOutput) = await SkiffServerHarness.RunKubectlAsync(
                "--kubeconfig", Path.Combine(data.Path, "admin.kubeconfig"), "get", "configmap", "kept", "-o", "jsonpath={.data.a}");
            Assert.True(getCode == 0, getOutput);
            Assert.Equal("1", getOutput.Trim());
            (int serviceCode, string serviceOutput) = await SkiffServerHarness.RunKubectlAsync(
                "--kubeconfig", Path.Combine(data.Path, "admin.kubeconfig"), "create", "service", "clusterip", "after-restart", "--tcp=80:80");
            Assert.True(serviceCode == 0, serviceOutput);
            Assert.Equal(0, await again.StopAsync(SkiffServerHarness.StopTimeout));
        }
    }
}
