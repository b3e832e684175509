using System.Text.Json;
using k8s.Autorest;

namespace Skiff.ControlPlane.Events;

/// <summary>Turns a failed API call into the one-line text upstream puts in a Warning event: the Status message when there is one.</summary>
public static class ApiFailures
{
    public static string Message(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure is HttpOperationException { Response.Content: { Length: > 0 } content })
        {
            try
            {
                using JsonDocument status = JsonDocument.Parse(content);
                if (status.RootElement.ValueKind == JsonValueKind.Object
                    && status.RootElement.TryGetProperty("message", out JsonElement message)
                    && message.ValueKind == JsonValueKind.String)
                {
                    return message.GetString()!;
                }
            }
            catch (JsonException)
            {
                // Not a Status: fall back to the exception's own text.
            }
        }

        return failure.Message;
    }
}
