import { DescribeImagesCommand } from '@aws-sdk/client-appstream';
import { describe, expect, it } from 'vitest';
import { rawCall, useEmulator } from '../../helpers/emulator';

const f = useEmulator();

describe('Emulator: wire protocol', () => {
  it('answers JSON 1.1 with x-amzn-RequestId and epoch-second timestamps', async () => {
    const res = await rawCall(f.emu.endpoint, 'DescribeImages', { Type: 'PUBLIC', MaxResults: 1 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const [image] = res.json.Images as { CreatedTime: unknown }[];
    expect(typeof image.CreatedTime).toBe('number');
  });

  it('rejects a request without a signature with MissingAuthenticationTokenException', async () => {
    const res = await rawCall(f.emu.endpoint, 'DescribeImages', {}, { auth: false });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });

  it('rejects a malformed Authorization header with IncompleteSignatureException', async () => {
    const res = await fetch(`${f.emu.endpoint}/`, {
      method: 'POST',
      headers: { 'x-amz-target': 'PhotonAdminProxyService.DescribeImages', authorization: 'Bearer abc' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('IncompleteSignatureException');
  });

  it('answers malformed JSON with SerializationException', async () => {
    const res = await rawCall(f.emu.endpoint, 'DescribeImages', '{"Type": ');
    expect(res.status).toBe(400);
    expect(res.json.__type).toBe('SerializationException');
  });

  it('answers a wrong JSON type with SerializationException naming the member', async () => {
    const res = await rawCall(f.emu.endpoint, 'DescribeImageBuilders', { MaxResults: 'ten' });
    expect(res.json).toMatchObject({
      __type: 'SerializationException',
      message: expect.stringContaining("'maxResults'"),
    });
  });

  it('answers an unknown target with UnknownOperationException', async () => {
    const res = await rawCall(f.emu.endpoint, 'LaunchRockets', {});
    expect(res.json.__type).toBe('UnknownOperationException');
  });

  it('answers a model operation it does not implement with an explicit NotImplementedException naming it', async () => {
    const res = await rawCall(f.emu.endpoint, 'CreateAppBlock', {
      Name: 'a',
      SourceS3Location: { S3Bucket: 'bucket', S3Key: 'k' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      __type: 'NotImplementedException',
      message: expect.stringContaining('CreateAppBlock'),
    });
  });

  it('still validates input before saying an operation is not implemented', async () => {
    const res = await rawCall(f.emu.endpoint, 'CreateAppBlock', {});
    expect(res.json).toMatchObject({
      __type: 'ValidationException',
      message: expect.stringMatching(/^2 validation errors detected: .*'name'.*'sourceS3Location'/),
    });
  });

  it('collects several validation errors into one message', async () => {
    const res = await rawCall(f.emu.endpoint, 'CreateImageBuilder', { Name: '!', InstanceType: '' });
    expect(res.json.__type).toBe('ValidationException');
    expect(res.json.message).toBe(
      "2 validation errors detected: Value '' at 'instanceType' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$",
    );
  });

  it('routes Application Auto Scaling and says which of its operations are not implemented', async () => {
    const res = await rawCall(
      f.emu.endpoint,
      'DescribeScalingPolicies',
      { ServiceNamespace: 'appstream' },
      { prefix: 'AnyScaleFrontendService' },
    );
    expect(res.json).toMatchObject({
      __type: 'NotImplementedException',
      message: expect.stringContaining('DescribeScalingPolicies'),
    });
  });

  it('takes the region from the credential scope', async () => {
    const west = f.client({ region: 'eu-central-1' });
    const [image] = (await west.send(new DescribeImagesCommand({ MaxResults: 1 }))).Images!;
    expect(image.Arn).toMatch(/^arn:aws:appstream:eu-central-1::image\//);
  });
});
