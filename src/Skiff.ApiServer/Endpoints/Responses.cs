using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Skiff.ApiServer.Tables;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Endpoints;

/// <summary>Writes API responses: objects, lists, Tables and Status errors, as JSON.</summary>
internal static class Responses
{
    public const string JsonMediaType = "application/json";
    public const string TableMediaType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    /// <summary>True when the client asked for server-side printing (kubectl get).</summary>
    public static bool WantsTable(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    public static async Task WriteJsonAsync(HttpContext context, JsonNode body, int statusCode, string contentType = JsonMediaType)
    {
        Audit.AuditScope.Of(context)?.ResponseObject(body);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = contentType;
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        body.WriteTo(writer);
        await writer.FlushAsync(context.RequestAborted);
    }

    public static Task WriteRawAsync(HttpContext context, string json, string contentType, int statusCode = 200)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(json, context.RequestAborted);
    }

    public static async Task WriteStatusAsync(HttpContext context, V1Status status)
    {
        ArgumentNullException.ThrowIfNull(status);
        Audit.AuditScope.Of(context)?.ResponseStatus(status);
        context.Response.StatusCode = status.Code ?? 500;
        context.Response.ContentType = JsonMediaType;
        await JsonSerializer.SerializeAsync(context.Response.Body, status, SkiffJson.Options, context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, StatusException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return WriteStatusAsync(context, error.Status);
    }

    /// <summary>The success Status upstream returns for some deletions.</summary>
    public static V1Status Success(ResourceInfo resource, string name, string? uid) => new()
    {
        Kind = "Status",
        ApiVersion = "v1",
        Metadata = new V1ListMeta(),
        Status = "Success",
        Code = 200,
        Details = new V1StatusDetails { Name = name, Group = string.IsNullOrEmpty(resource.Group) ? null : resource.Group, Kind = resource.Plural, Uid = uid },
    };

    /// <summary>Writes one object, or a one-row Table when the client asked for a Table.</summary>
    public static Task WriteObjectAsync(HttpContext context, ResourceInfo resource, JsonObject item, int statusCode, TablePrinters printers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(printers);
        if (WantsTable(context.Request))
        {
            JsonObject table = Table(resource, [item], item["metadata"]?["resourceVersion"]?.GetValue<string>(), null, context.Request.Query["includeObject"], printers, time, includeColumns: true);
            return WriteJsonAsync(context, table, statusCode, TableMediaType);
        }

        return WriteJsonAsync(context, item, statusCode);
    }

    /// <summary>A Table of objects with the kind's upstream columns; each row carries the object as includeObject says.</summary>
    public static JsonObject Table(ResourceInfo resource, IEnumerable<JsonObject> items, string? resourceVersion, string? continueToken, string? includeObject, TablePrinters printers, TimeProvider time, bool includeColumns)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(printers);
        ArgumentNullException.ThrowIfNull(time);
        ITablePrinter printer = printers.For(resource);
        var rows = new List<TableRowInput>();
        foreach (JsonObject item in items)
        {
            // Custom resources are printed from their JSON (printer columns are JSONPaths into it).
            object typed = resource.IsCustom ? item : item.Deserialize(resource.ClrType, SkiffJson.Options) ?? item;
            JsonNode? rowObject = includeObject switch
            {
                "None" => null,
                "Object" => item,
                _ => new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = item["metadata"]?.DeepClone(),
                },
            };
            rows.Add(new TableRowInput(typed, rowObject));
        }

        return TableWriter.Write(printer, rows, resourceVersion, continueToken, time.GetUtcNow(), includeColumns);
    }
}
