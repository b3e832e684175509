using System.Text;

namespace Skiff.Pki;

/// <summary>Renders a kubeconfig with inline credentials. Every value is base64 or a URL, so plain text needs no YAML escaping.</summary>
internal static class KubeconfigWriter
{
    public static string Render(Uri server, string caPem, string clientCertificatePem, string clientKeyPem, string name, string user)
    {
        ArgumentNullException.ThrowIfNull(server);
        var yaml = new StringBuilder();
        yaml.Append("apiVersion: v1\n");
        yaml.Append("kind: Config\n");
        yaml.Append("clusters:\n");
        yaml.Append("- name: ").Append(name).Append('\n');
        yaml.Append("  cluster:\n");
        yaml.Append("    server: ").Append(server.GetLeftPart(UriPartial.Authority)).Append('\n');
        yaml.Append("    certificate-authority-data: ").Append(Base64(caPem)).Append('\n');
        yaml.Append("users:\n");
        yaml.Append("- name: ").Append(user).Append('\n');
        yaml.Append("  user:\n");
        yaml.Append("    client-certificate-data: ").Append(Base64(clientCertificatePem)).Append('\n');
        yaml.Append("    client-key-data: ").Append(Base64(clientKeyPem)).Append('\n');
        yaml.Append("contexts:\n");
        yaml.Append("- name: ").Append(name).Append('\n');
        yaml.Append("  context:\n");
        yaml.Append("    cluster: ").Append(name).Append('\n');
        yaml.Append("    user: ").Append(user).Append('\n');
        yaml.Append("current-context: ").Append(name).Append('\n');
        return yaml.ToString();
    }

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
}
