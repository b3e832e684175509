using System.Text;
using Skiff.Agent.Kubelet.Images;

namespace Skiff.Agent.Tests.Kubelet.Images;

/// <summary>Which pull-secret credentials serve which image: the docker keyring's matching rules.</summary>
public sealed class DockerKeyringTests
{
    [Theory]
    [InlineData("registry.example.com", "registry.example.com/team/app:1", true)]
    [InlineData("https://registry.example.com", "registry.example.com/app", true)]
    [InlineData("registry.example.com/v2/", "registry.example.com/app", true)]
    [InlineData("registry.example.com/team", "registry.example.com/team/app:1", true)]
    [InlineData("registry.example.com/team", "registry.example.com/other/app:1", false)]
    [InlineData("registry.example.com", "other.example.com/app", false)]
    [InlineData("*.example.com", "registry.example.com/app", true)]
    [InlineData("*.example.com", "a.b.example.com/app", false)]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5000/skiff/httpd:1", true)]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5001/skiff/httpd:1", false)]
    [InlineData("127.0.0.1", "127.0.0.1:5000/skiff/httpd:1", false)]
    [InlineData("https://index.docker.io/v1/", "busybox", true)]
    [InlineData("https://index.docker.io/v1/", "docker.io/library/busybox:1.36", true)]
    [InlineData("index.docker.io", "someone/app", true)]
    [InlineData("docker.io", "busybox", true)]
    [InlineData("https://index.docker.io/v1/", "quay.io/someone/app", false)]
    [InlineData("https://index.docker.io/v1/", "127.0.0.1:5000/app", false)]
    public void Lookup_Location_MatchesImagesAsTheDockerKeyringDoes(string location, string image, bool matches)
    {
        var keyring = new DockerKeyring();
        keyring.Add(location, new RegistryCredential("u", "p", null, "test"));

        Assert.Equal(matches, keyring.Lookup(ImageReference.Parse(image)).Count == 1);
    }

    [Fact]
    public void Lookup_SeveralMatchingKeys_MostSpecificFirst()
    {
        var keyring = new DockerKeyring();
        keyring.Add("registry.example.com", new RegistryCredential("host", "p", null, "test"));
        keyring.Add("registry.example.com/team", new RegistryCredential("team", "p", null, "test"));

        IReadOnlyList<RegistryCredential> found = keyring.Lookup(ImageReference.Parse("registry.example.com/team/app:1"));

        Assert.Equal(["team", "host"], found.Select(c => c.Username));
    }

    [Fact]
    public void AddDockerConfig_DockerConfigJsonAndDockerCfg_AuthWinsOverUsernameAndPassword()
    {
        var keyring = new DockerKeyring();
        string auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pa:ss"));
        keyring.AddDockerConfig(Encoding.UTF8.GetBytes($"{{\"auths\":{{\"a.example.com\":{{\"username\":\"x\",\"password\":\"y\",\"auth\":\"{auth}\"}}}}}}"), legacy: false, "json");
        keyring.AddDockerConfig(Encoding.UTF8.GetBytes("{\"b.example.com\":{\"username\":\"bob\",\"password\":\"pw\",\"email\":\"b@example.com\"}}"), legacy: true, "cfg");

        RegistryCredential a = Assert.Single(keyring.Lookup(ImageReference.Parse("a.example.com/app:1")));
        RegistryCredential b = Assert.Single(keyring.Lookup(ImageReference.Parse("b.example.com/app:1")));

        Assert.Equal(("alice", "pa:ss"), (a.Username, a.Password));
        Assert.Equal(("bob", "pw"), (b.Username, b.Password));
        Assert.Equal("", a.ToAuthConfig().ServerAddress);
    }

    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", null, null, "Always")]
    [InlineData("busybox:latest", "docker.io", "library/busybox", "latest", null, "Always")]
    [InlineData("index.docker.io/someone/app:2", "docker.io", "someone/app", "2", null, "IfNotPresent")]
    [InlineData("127.0.0.1:5000/skiff/httpd:1", "127.0.0.1:5000", "skiff/httpd", "1", null, "IfNotPresent")]
    [InlineData("localhost/app", "localhost", "app", null, null, "Always")]
    [InlineData("quay.io/a/b@sha256:abc", "quay.io", "a/b", null, "sha256:abc", "IfNotPresent")]
    [InlineData("[::1]:5000/app:3", "[::1]:5000", "app", "3", null, "IfNotPresent")]
    public void Parse_ImageName_NormalisesAsDockerDoes(string image, string registry, string repository, string? tag, string? digest, string policy)
    {
        Assert.Equal(new ImageReference(registry, repository, tag, digest), ImageReference.Parse(image));
        Assert.Equal(policy, ImageReference.DefaultPullPolicy(image));
    }
}
